/**
 * One message of the participant's transcript. Memoised: while an answer
 * streams, only the streaming row re-renders, not every message above it, so
 * its props are the message itself and callbacks that keep their identity.
 */
import { memo, useCallback, useState } from 'react';
import type { Message } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { AnswerToolbar } from './AnswerToolbar';
import { chatStore } from './chatStore';
import { EditQuestion } from './EditQuestion';
import type { RateAnswer } from '../../components/messages/Feedback';
import { MessageItem } from '../../components/messages/MessageItem';

interface ChatMessageRowProps {
  conversationId: string;
  message: Message;
  /** Tapping a follow-up question lets the participant answer it; absent while answering or read-only. */
  onFollowUp?: (question: string) => void;
  /** The conversation's last answer (Regenerate), or last question (Edit & resend), while nothing streams. */
  last?: boolean;
  /** Every answer Regenerate produced for this answer's question, the current one last. */
  alternatives?: Message[];
}

function QuestionRow({ conversationId, message, last }: ChatMessageRowProps) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <li className="msg msg--user" data-testid="user-message" data-message-id={message.id}>
        <EditQuestion
          initial={message.content}
          onCancel={() => setEditing(false)}
          onSend={(content) => {
            setEditing(false);
            void chatStore.edit(conversationId, message.id, content);
          }}
        />
      </li>
    );
  }
  const edit = last ? (
    <button type="button" className="btn btn--ghost btn--sm msg__edit-button" onClick={() => setEditing(true)} data-testid="edit-message">
      <Icon name="pencil" size={14} />
      {t('chat.edit')}
    </button>
  ) : undefined;
  return <MessageItem message={message} actions={edit} />;
}

function AnswerRow({ conversationId, message, onFollowUp, last, alternatives }: ChatMessageRowProps) {
  const total = alternatives?.length ?? 1;
  const [index, setIndex] = useState<number | null>(null);
  const shownIndex = index ?? total - 1;
  const shown = alternatives?.[shownIndex] ?? message;
  const onRate = useCallback<RateAnswer>((value, reason) => chatStore.feedback(conversationId, shown.id, value, reason), [conversationId, shown.id]);
  const onRegenerate = last ? () => void chatStore.regenerate(conversationId, message.id) : undefined;
  const pager = total > 1 ? { index: shownIndex, total, onMove: setIndex } : undefined;
  return (
    <MessageItem
      message={shown}
      onRate={onRate}
      onFollowUp={shown === message ? onFollowUp : undefined}
      onRetry={message.is_fallback ? onRegenerate : undefined}
      actions={shown.is_fallback && !pager ? undefined : <AnswerToolbar message={shown} onRegenerate={shown.is_fallback ? undefined : onRegenerate} pager={pager} />}
    />
  );
}

export const ChatMessageRow = memo(function ChatMessageRow(props: ChatMessageRowProps) {
  return props.message.role === 'user' ? <QuestionRow {...props} /> : <AnswerRow {...props} />;
});
