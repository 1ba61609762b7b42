/** One queue item: its kind in words, whose, what was said, and what a human can do with it. */
import { Link } from 'react-router';
import type { QueueItem } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Badge } from '../../components/ui';
import { useI18n, type MessageKey } from '../../i18n';
import { KIND_ICONS, kindLabel } from './queueKinds';

const SNOOZES: readonly [number, MessageKey][] = [
  [60, 'staff.snooze1h'],
  [60 * 24, 'staff.snooze1d'],
  [60 * 24 * 7, 'staff.snooze1w'],
];

interface QueueRowProps {
  item: QueueItem;
  onClaim: () => void;
  onSnooze: (minutes: number) => void;
  onResolve: () => void;
}

export function QueueRow({ item, onClaim, onSnooze, onResolve }: QueueRowProps) {
  const { t, formatDate } = useI18n();
  const at = `/staff/conversations/${item.conversation_id}?message=${encodeURIComponent(item.message_id)}`;
  const who = item.participant.name || t('common.none');
  return (
    <li className="queue__item" data-testid="queue-item" data-kind={item.kind}>
      <div className="queue__head">
        <Badge tone={item.kind === 'mentor_request' ? 'warning' : 'neutral'} icon={KIND_ICONS[item.kind]}>
          {t(kindLabel(item.kind))}
        </Badge>
        <span className="cell-strong">{who}</span>
        <time className="muted" dateTime={item.created_at}>
          {formatDate(item.created_at, 'long')}
        </time>
        {item.claimed_by && <Badge tone="primary">{t('staff.claimedBy', { name: item.claimed_by.name || t('common.none') })}</Badge>}
      </div>
      {item.excerpt && <p className="queue__excerpt">{item.excerpt}</p>}
      {(Boolean(item.feedback_tags?.length) || Boolean(item.feedback_comment)) && (
        <p className="queue__reason">
          {item.feedback_tags?.map((tag) => t(`feedback.tag.${tag}` as MessageKey)).join(', ')}
          {item.feedback_comment ? ` · “${item.feedback_comment}”` : ''}
        </p>
      )}
      <div className="queue__actions">
        <Link to={at} className="btn btn--secondary btn--sm" data-testid="queue-open">
          <Icon name="chat" size={14} />
          {t('staff.openAt', { name: who })}
        </Link>
        {!item.claimed_by && (
          <button type="button" className="btn btn--ghost btn--sm" onClick={onClaim} data-testid="queue-claim">
            {t('staff.claim')}
          </button>
        )}
        {SNOOZES.map(([minutes, label]) => (
          <button key={minutes} type="button" className="btn btn--ghost btn--sm" onClick={() => onSnooze(minutes)} data-testid={`queue-snooze-${minutes}`}>
            <Icon name="clock" size={14} />
            {t(label)}
          </button>
        ))}
        <button type="button" className="btn btn--primary btn--sm" onClick={onResolve} data-testid="queue-resolve">
          <Icon name="check" size={14} />
          {t('staff.resolve')}
        </button>
      </div>
    </li>
  );
}
