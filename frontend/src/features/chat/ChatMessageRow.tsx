/**
 * One message of the participant's transcript. Memoised: while an answer
 * streams, only the streaming row re-renders, not every message above it, so
 * its props are the message itself and callbacks that keep their identity.
 */
import { memo, useCallback } from 'react';
import type { FeedbackValue, Message } from '../../api/types';
import { AnswerToolbar } from './AnswerToolbar';
import { chatStore } from './chatStore';
import { MessageItem } from './MessageItem';

interface ChatMessageRowProps {
  conversationId: string;
  message: Message;
  /** Tapping a follow-up question lets the participant answer it; absent while answering or read-only. */
  onFollowUp?: (question: string) => void;
  /** The question to send again, when this row is the fallback answer to it. */
  retry?: Message | null;
}

export const ChatMessageRow = memo(function ChatMessageRow({ conversationId, message, onFollowUp, retry }: ChatMessageRowProps) {
  const onRate = useCallback(
    (value: FeedbackValue) => chatStore.feedback(conversationId, message.id, value),
    [conversationId, message.id],
  );
  const onRetry = retry ? () => void chatStore.send(conversationId, retry.content, retry.attachments) : undefined;
  return (
    <MessageItem
      message={message}
      onRate={onRate}
      onFollowUp={onFollowUp}
      onRetry={onRetry}
      actions={message.role === 'assistant' && !message.is_fallback ? <AnswerToolbar message={message} /> : undefined}
    />
  );
});
