/** One conversation (or the welcome screen at `/`): header, transcript, streamed answer and composer. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { createConversation } from '../../api/conversations';
import { ApiError } from '../../api/errors';
import type { Attachment } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Alert, PageLoader } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { useChatContext } from './ChatLayout';
import { ChannelBadge, isReadOnly, useChannelLabel, useChannels } from '../../components/channels';
import { ChatMessageRow } from './ChatMessageRow';
import { chatStore, useConversation } from './chatStore';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { useOpenAtMatch } from './openAtMatch';
import { specialistLook } from '../../lib/specialists';
import { TranscriptTail } from './TranscriptTail';
import { transcriptView } from './transcriptView';
import { Welcome } from './Welcome';

const TITLE_LENGTH = 60;

function titleFrom(content: string): string {
  const line = content.trim().split('\n')[0] ?? '';
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

/**
 * A follow-up is Ignacio's question to the participant, so tapping it starts
 * their answer: the composer gets the question quoted, ready for their words.
 * Sent, the quote reaches the model with the answer (as a WhatsApp reply to a
 * button carries the question it answers), and the participant sees what
 * they are answering while they write.
 */
export function quoteQuestion(question: string): string {
  return `${question
    .trim()
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')}\n\n`;
}

export function ConversationView() {
  const { conversationId } = useParams();
  const { t } = useI18n();
  const channels = useChannels();
  const channelLabel = useChannelLabel();
  const user = useUser();
  const navigate = useNavigate();
  const errorText = useErrorText();
  const { conversations, openSidebar, addConversation } = useChatContext();
  const state = useConversation(conversationId);
  useOpenAtMatch(conversationId, state);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const lastSpecialist = useRef<string | null>(null);
  const draftKey = conversationId ?? 'new';
  // Text for the composer of one conversation (not carried into the next one opened).
  const [prefill, setPrefill] = useState<{ key: string; text: string; version: number } | null>(null);
  const fill = useCallback((key: string, text: string) => {
    setPrefill((previous) => ({ key, text, version: (previous?.version ?? 0) + 1 }));
  }, []);
  const answerFollowUp = useCallback((question: string) => fill(draftKey, quoteQuestion(question)), [fill, draftKey]);

  const conversation = conversations.items.find((c) => c.id === conversationId);
  const pending = state.pending;

  useEffect(() => {
    if (conversationId) void chatStore.open(conversationId);
  }, [conversationId]);

  // Screen readers hear who is answering, then that the answer is ready (not every streamed word).
  const pendingSpecialist = pending ? (pending.specialist ?? '') : null;
  useEffect(() => {
    if (pendingSpecialist === null) {
      if (lastSpecialist.current !== null) {
        setAnnouncement(t('chat.answerReady', { specialist: t(specialistLook(lastSpecialist.current).label) }));
      }
      lastSpecialist.current = null;
      return;
    }
    lastSpecialist.current = pendingSpecialist;
    setAnnouncement(
      pendingSpecialist ? t('chat.answering', { specialist: t(specialistLook(pendingSpecialist).label) }) : t('chat.thinking'),
    );
  }, [pendingSpecialist, t]);

  const send = async (content: string, attachments: Attachment[]) => {
    if (conversationId) {
      void chatStore.send(conversationId, content, attachments);
      return;
    }
    setCreating(true);
    setCreateError(null);
    try {
      const created = await createConversation(titleFrom(content));
      addConversation(created);
      void chatStore.send(created.id, content, attachments);
      void navigate(`/c/${created.id}`);
    } catch (error) {
      setCreateError(errorText(error));
      // The words go back where they were typed (with their draft), not lost.
      fill('new', content);
    } finally {
      setCreating(false);
    }
  };

  const view = useMemo(() => transcriptView(state.messages), [state.messages]);
  const notFound = state.status === 'error' && state.error instanceof ApiError && (state.error.status === 404 || state.error.status === 422);
  // A deep link to a conversation beyond the list's first page: its messages tell the channel.
  const channel = conversation?.channel ?? state.messages[0]?.channel;
  const readOnly = isReadOnly(channels, channel);
  const title = conversationId ? conversation?.title?.trim() || t('chat.untitled') : t('chat.new');

  let body;
  if (!conversationId) {
    body = <Welcome name={user.name} onAsk={(q) => void send(q, [])} />;
  } else if (notFound) {
    body = (
      <div className="conversation__notice">
        <Alert>{t('chat.conversationNotFound')}</Alert>
      </div>
    );
  } else if (state.status === 'error' && state.messages.length === 0) {
    body = (
      <div className="conversation__notice">
        <Alert onRetry={() => void chatStore.open(conversationId, true)} retryLabel={t('common.retry')}>
          {errorText(state.error)}
        </Alert>
      </div>
    );
  } else if ((state.status === 'idle' || state.status === 'loading') && state.messages.length === 0 && !pending) {
    body = <PageLoader label={t('app.loading')} />;
  } else {
    body = (
      <MessageList
        messages={view.rows}
        hasOlder={state.olderCursor !== null}
        loadingOlder={state.loadingOlder}
        onLoadOlder={() => void chatStore.loadOlder(conversationId)}
        tailVersion={pending ? `${JSON.stringify(pending.partial ?? '').length}:${pending.tool ?? ''}` : 'idle'}
        renderMessage={(message) => (
          <ChatMessageRow
            key={message.id}
            conversationId={conversationId}
            message={message}
            onFollowUp={readOnly || pending ? undefined : answerFollowUp}
            last={!readOnly && !pending && (message.id === view.lastAnswerId || message.id === view.lastQuestionId)}
            alternatives={message.reply_to_id ? view.alternatives.get(message.reply_to_id) : undefined}
          />
        )}
        tail={<TranscriptTail state={state} onResend={() => void chatStore.resend(conversationId)} />}
      />
    );
  }

  return (
    <main className="conversation" id="main">
      <header className="conversation__header">
        <button
          type="button"
          className="icon-btn conversation__menu"
          onClick={openSidebar}
          aria-label={t('chat.showConversations')}
          aria-controls="conversation-sidebar"
        >
          <Icon name="menu" />
        </button>
        <h1 className="conversation__title" data-testid="conversation-title">
          {title}
        </h1>
        {readOnly && channel && <ChannelBadge channel={channel} />}
      </header>

      <div className="conversation__body">{body}</div>

      <div className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </div>

      <div className="conversation__footer">
        {createError && <Alert>{createError}</Alert>}
        {readOnly ? (
          <div className="conversation__readonly">
            <Icon name="info" />
            <p>{t('chat.readOnlyNotice', { channel: channel ? channelLabel(channel, channels) : '' })}</p>
          </div>
        ) : (
          !notFound && (
            <Composer
              key={draftKey}
              draftKey={draftKey}
              prefill={prefill?.key === draftKey ? prefill : null}
              busy={Boolean(pending) || creating}
              onSend={(content, attachments) => void send(content, attachments)}
              onStop={pending && conversationId ? () => void chatStore.stop(conversationId) : undefined}
            />
          )
        )}
      </div>
    </main>
  );
}
