/** One message: the user's bubble, or the advisor's answer card with its feedback and retry. */
import type { ReactNode } from 'react';
import type { Delivery, FeedbackValue, Message } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Markdown } from '../../components/Markdown';
import { Badge } from '../../components/ui';
import { useI18n, type MessageKey } from '../../i18n';
import { AnswerCard, SpecialistHeader } from './AnswerCard';
import { Attachments } from './Attachments';
import { DeliveryErrorNote } from './DeliveryErrorNote';
import { Feedback } from './Feedback';
import { specialistLook } from './specialists';
import { ChannelBadge } from './channels';

interface MessageItemProps {
  message: Message;
  /** `admin` shows channel, delivery status, error codes and the rating, read-only. */
  variant?: 'chat' | 'admin';
  onRetry?: () => void;
  onFollowUp?: (question: string) => void;
  onRate?: (value: FeedbackValue) => Promise<void>;
  /** WhatsApp sends of this answer (admin transcript): one per part of a long answer. */
  deliveries?: Delivery[];
  /** The answer's toolbar (copy, regenerate…) or the question's Edit, in the participant's view. */
  actions?: ReactNode;
}

const STATUS_TONE = { pending: 'neutral', sent: 'neutral', delivered: 'primary', read: 'success', failed: 'danger' } as const;

function Deliveries({ deliveries }: { deliveries: Delivery[] }) {
  const { t, formatDate } = useI18n();
  return (
    <ul className="deliveries" aria-label={t('admin.delivery')}>
      {deliveries.map((d) => (
        <li key={d.part_index} title={formatDate(d.updated_at, 'long')}>
          <Badge tone={STATUS_TONE[d.status]} icon="phone">
            {t('admin.deliveryPart', { n: d.part_index + 1, status: t(`status.${d.status}` as MessageKey) })}
            {d.error_code ? ` · ${d.error_code}` : ''}
          </Badge>
        </li>
      ))}
    </ul>
  );
}

function Meta({ message, variant }: { message: Message; variant: 'chat' | 'admin' }) {
  const { t, formatDate } = useI18n();
  const admin = variant === 'admin';
  return (
    <div className="msg__meta">
      <time dateTime={message.created_at}>{formatDate(message.created_at, admin ? 'long' : 'time')}</time>
      {(admin || message.channel !== 'web') && <ChannelBadge channel={message.channel} />}
      {(admin || message.status === 'failed') && (
        <span data-testid="delivery-status">
          <Badge tone={STATUS_TONE[message.status]} title={t('admin.delivery')}>
            {t(`status.${message.status}` as MessageKey)}
          </Badge>
        </span>
      )}
      {message.error_code === 'stopped' && (
        <span data-testid="stopped-badge">
          <Badge tone="warning" icon="stop">
            {t('chat.stopped')}
          </Badge>
        </span>
      )}
      {admin && message.error_code && message.error_code !== 'stopped' && <Badge tone="danger">{t('admin.errorCode', { code: message.error_code })}</Badge>}
      {admin && message.is_fallback && <Badge tone="warning">{t('admin.fallbackFlag')}</Badge>}
      {!admin && message.edited && <Badge tone="neutral">{t('chat.edited')}</Badge>}
      {admin && message.replaced && (
        <span data-testid="replaced-badge">
          <Badge tone="neutral">{t(message.replaced === 'edited' ? 'admin.replacedEdited' : 'admin.replacedRegenerated')}</Badge>
        </span>
      )}
      {admin && message.feedback === 1 && <Badge tone="success" icon="thumbsUp">{t('admin.feedbackUp')}</Badge>}
      {admin && message.feedback === -1 && <Badge tone="danger" icon="thumbsDown">{t('admin.feedbackDown')}</Badge>}
    </div>
  );
}

export function MessageItem({ message, variant = 'chat', onRetry, onFollowUp, onRate, deliveries, actions }: MessageItemProps) {
  const { t } = useI18n();
  const admin = variant === 'admin';

  if (message.role === 'user') {
    return (
      <li className="msg msg--user" data-testid="user-message" data-message-id={message.id}>
        <div className="msg__bubble">
          <span className="visually-hidden">{t('chat.you')}: </span>
          {message.content && <Markdown>{message.content}</Markdown>}
          <Attachments attachments={message.attachments} />
        </div>
        <Meta message={message} variant={variant} />
        {!admin && actions}
      </li>
    );
  }

  const footer = (
    <footer className="answer__footer">
      <Meta message={message} variant={variant} />
      {admin && deliveries && deliveries.length > 0 && <Deliveries deliveries={deliveries} />}
      {message.delivery_error && <DeliveryErrorNote error={message.delivery_error} admin={admin} failed={message.status === 'failed'} />}
      {!admin && actions}
      {!admin && onRate && <Feedback message={message} onRate={onRate} />}
    </footer>
  );

  const fallbackNote = message.is_fallback && !admin && (
    <div className="answer__fallback" role="note">
      <Icon name="alert" size={16} />
      <span>{t('chat.fallback')}</span>
      {onRetry && (
        <button type="button" className="btn btn--secondary btn--sm" onClick={onRetry} data-testid="retry-turn">
          <Icon name="refresh" size={14} />
          {t('chat.retry')}
        </button>
      )}
    </div>
  );

  return (
    <li
      className={message.is_fallback ? 'msg msg--assistant is-fallback' : 'msg msg--assistant'}
      data-testid="assistant-message"
      data-message-id={message.id}
    >
      {message.answer ? (
        <AnswerCard
          answer={message.answer}
          agent={message.agent}
          messageId={message.id}
          onFollowUp={onFollowUp}
          readOnly={admin}
          footer={
            <>
              {fallbackNote}
              <Attachments attachments={message.attachments} />
              {footer}
            </>
          }
        />
      ) : (
        <article
          className={`answer specialist--${specialistLook(message.agent).tone}`}
          data-testid="specialist-card"
          data-specialist={message.agent ?? 'general'}
        >
          <SpecialistHeader agent={message.agent ?? 'general'} />
          <div className="answer__body">{message.content && <Markdown className="answer__lead">{message.content}</Markdown>}</div>
          {fallbackNote}
          <Attachments attachments={message.attachments} />
          {footer}
        </article>
      )}
    </li>
  );
}
