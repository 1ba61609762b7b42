/** The line under a message: time, channel, delivery status and the flags an admin reviews. */
import type { Delivery, Message } from '../../api/types';
import { Badge } from '../ui';
import { useI18n, type MessageKey } from '../../i18n';
import { ChannelBadge } from '../channels';

const STATUS_TONE = { pending: 'neutral', sent: 'neutral', delivered: 'primary', read: 'success', failed: 'danger' } as const;

export function Deliveries({ deliveries }: { deliveries: Delivery[] }) {
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

export function Meta({ message, variant }: { message: Message; variant: 'chat' | 'admin' }) {
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
