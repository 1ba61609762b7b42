/** One message: the user's bubble, or the advisor's answer card with its feedback and retry. */
import type { ReactNode } from 'react';
import type { Delivery, Message } from '../../api/types';
import { Icon } from '../Icon';
import { Markdown } from '../Markdown';
import { useI18n } from '../../i18n';
import { AnswerCard } from './AnswerCard';
import { SpecialistHeader } from './SpecialistHeader';
import { Attachments } from './Attachments';
import { ConsentText } from './ConsentText';
import { DeliveryErrorNote } from './DeliveryErrorNote';
import { Feedback, type RateAnswer } from './Feedback';
import { afterLeadingLock } from '../../lib/emoji';
import { specialistLook } from '../../lib/specialists';
import { HumanMessage } from './HumanMessage';
import { Deliveries, Meta } from './MessageMeta';

interface MessageItemProps {
  message: Message;
  /** `admin` shows channel, delivery status, error codes and the rating, read-only. */
  variant?: 'chat' | 'admin';
  onRetry?: () => void;
  onFollowUp?: (question: string) => void;
  onRate?: RateAnswer;
  /** WhatsApp sends of this answer (admin transcript): one per part of a long answer. */
  deliveries?: Delivery[];
  /** The answer's toolbar (copy, regenerate…) or the question's Edit, in the participant's view. */
  actions?: ReactNode;
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

  if (message.author_name) return <HumanMessage message={message} variant={variant} />;

  const footer = (
    <footer className="answer__footer">
      <Meta message={message} variant={variant} />
      {admin && deliveries && deliveries.length > 0 && <Deliveries deliveries={deliveries} />}
      {message.delivery_error && <DeliveryErrorNote error={message.delivery_error} admin={admin} failed={message.status === 'failed'} />}
      {!admin && actions}
      {!admin && onRate && <Feedback message={message} onRate={onRate} />}
    </footer>
  );

  // No specialist and a leading 🔒: the consent notice WhatsApp sent (stored as sent).
  const consent = message.agent === null && !message.answer ? afterLeadingLock(message.content) : null;

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
          <div className="answer__body">
            {consent !== null ? <ConsentText text={consent} /> : message.content && <Markdown className="answer__lead">{message.content}</Markdown>}
          </div>
          {fallbackNote}
          <Attachments attachments={message.attachments} />
          {footer}
        </article>
      )}
    </li>
  );
}
