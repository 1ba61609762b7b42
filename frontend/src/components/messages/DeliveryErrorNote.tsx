/** Why a channel did not deliver an answer: its error code and, in words, what the code means. */
import type { Message } from '../../api/types';
import { Icon } from '../Icon';
import { useI18n, type MessageKey } from '../../i18n';

type DeliveryError = NonNullable<Message['delivery_error']>;

/** `admin` names the code and the channel's own title for it; the participant reads only the meaning, and only once it will not be sent. */
export function DeliveryErrorNote({ error, admin, failed }: { error: DeliveryError; admin: boolean; failed: boolean }) {
  const { t } = useI18n();
  if (!admin && !failed) return null;
  const meaning = t(`deliveryError.${error.reason}` as MessageKey);
  return (
    <p className="delivery-error" role="note" aria-label={t('deliveryError.title')} data-testid="delivery-error" data-code={error.code}>
      <Icon name="alert" size={14} />
      <span>
        {admin
          ? t('deliveryError.line', { meaning, code: error.code, title: error.title ? ` · ${error.title}` : '' })
          : t('deliveryError.notDelivered', { meaning })}
      </span>
    </p>
  );
}
