/** One message on the simulated phone, as WhatsApp draws it: text, buttons, ticks, time. */
import { memo } from 'react';
import type { SimulatorMessage } from '../../api/simulator';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { whatsappText } from './whatsappText';

interface BubbleProps {
  message: SimulatorMessage;
  onTap: (message: SimulatorMessage, button: { id: string; title: string }) => void;
}

function Ticks({ status }: { status: SimulatorMessage['status'] }) {
  const { t } = useI18n();
  const label = t(status === 'read' ? 'sim.read' : status === 'delivered' ? 'sim.delivered' : 'sim.sent');
  return (
    <span className={`sim-ticks sim-ticks--${status}`} role="img" aria-label={label} title={label} data-testid="sim-ticks" data-status={status}>
      {status === 'sent' ? '✓' : '✓✓'}
    </span>
  );
}

export const Bubble = memo(function Bubble({ message, onTap }: BubbleProps) {
  const { t, formatDate } = useI18n();
  const mine = message.direction === 'inbound'; // sent by the participant, from this phone
  return (
    <li className={mine ? 'sim-bubble sim-bubble--mine' : 'sim-bubble'} data-testid={mine ? 'sim-sent' : 'sim-received'}>
      {message.template && <p className="sim-bubble__template">{t('sim.template', { name: message.template })}</p>}
      {message.header && <p className="sim-bubble__header">{message.header}</p>}
      {message.media_kind && (
        <p className="sim-bubble__media">
          <Icon name={message.media_kind === 'image' ? 'image' : message.media_kind === 'audio' ? 'audio' : 'file'} size={16} />
          {message.file_name ?? message.media_kind}
        </p>
      )}
      {message.text && <p className="sim-bubble__text">{whatsappText(message.text)}</p>}
      {message.footer && <p className="sim-bubble__footer">{message.footer}</p>}
      <p className="sim-bubble__meta">
        <time dateTime={message.created_at}>{formatDate(message.created_at, 'time')}</time>
        {mine && <Ticks status={message.status} />}
      </p>
      {message.buttons.length > 0 && (
        <ul className="sim-bubble__buttons" aria-label={message.list_button ?? t('sim.replies')}>
          {message.buttons.map((button) => (
            <li key={button.id}>
              <button type="button" className="sim-bubble__button" onClick={() => onTap(message, button)} data-testid="sim-button">
                {button.title}
              </button>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
});
