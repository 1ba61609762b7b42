/**
 * What follows the stored messages: the question being answered and its
 * streamed answer, a message that was not sent (with Retry), or, after a
 * reload, a note that Ignacio is still answering the last question (or that a mentor has the
 * conversation, so the AI will not).
 */
import type { Attachment } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { Attachments } from '../../components/messages/Attachments';
import type { ConversationState } from './chatStore';
import { StreamingAnswer } from './StreamingAnswer';

function PendingQuestion({ content, attachments }: { content: string; attachments: Attachment[] }) {
  return (
    <div className="msg__bubble">
      <p className="pending-text">{content}</p>
      <Attachments attachments={attachments} />
    </div>
  );
}

export function TranscriptTail({ state, onResend }: { state: ConversationState; onResend: () => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const { pending, failed, answering, withMentor } = state;
  if (pending) {
    return (
      <>
        <li className="msg msg--user is-pending" data-testid="user-message">
          <PendingQuestion content={pending.content} attachments={pending.attachments} />
        </li>
        <StreamingAnswer pending={pending} />
      </>
    );
  }
  if (failed) {
    return (
      <li className="msg msg--user is-not-sent" data-testid="not-sent-message">
        <PendingQuestion content={failed.content} attachments={failed.attachments} />
        <div className="msg__meta msg__not-sent" role="alert">
          <Icon name="alert" size={14} />
          <span>{t('chat.notSent')}</span>
          <span className="msg__not-sent-reason">{errorText(failed.error)}</span>
          <button type="button" className="btn btn--secondary btn--sm" onClick={onResend} data-testid="resend-button">
            <Icon name="refresh" size={14} />
            {t('chat.retry')}
          </button>
        </div>
      </li>
    );
  }
  if (answering) {
    return (
      <li className="msg msg--assistant" data-testid="still-answering" aria-busy="true">
        <p className="typing" role="status">
          <span className="typing__dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          {t('chat.stillAnswering')}
        </p>
      </li>
    );
  }
  if (withMentor) {
    return (
      <li className="msg msg--note" data-testid="with-mentor">
        {/* The live region inside the item: a role on the <li> would take it out of the list. */}
        <span className="msg__note-body" role="status">
          <Icon name="users" size={16} />
          <span>{t('chat.withMentor')}</span>
        </span>
      </li>
    );
  }
  return null;
}
