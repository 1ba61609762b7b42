/**
 * Staff: one conversation with the AI's context, taken over if need be: pause the AI, write as
 * yourself, resume. While paused the participant's messages arrive here live. Admins promote a
 * rated or flagged turn into eval cases from here.
 */
import { Fragment, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { TranscriptMessage } from '../../api/types';
import { Icon } from '../../components/Icon';
import { LiveMessage } from '../../components/ui';
import { BackLink, QueryPanel } from '../../components/QueryPanel';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { ChannelBadge } from '../../components/channels';
import { MessageItem } from '../../components/messages/MessageItem';
import { MentorComposer } from './MentorComposer';
import { OriginNote } from './OriginNote';
import { PromoteDialog } from './PromoteDialog';
import { useStaffTranscript } from './staffQueries';
import { TakeoverBar } from './TakeoverBar';
import { useOpenAtMessage } from '../../hooks/useOpenAtMessage';

/** A turn worth an eval case: the participant rated it, or it was a fallback, or a queue item led here. */
function promotable(message: TranscriptMessage, openedAt: string | null): boolean {
  if (message.role !== 'assistant' || message.author_name) return false;
  return message.feedback != null || message.is_fallback || message.id === openedAt;
}

export function StaffTranscriptPage() {
  const { conversationId = '' } = useParams();
  const { t, formatDate } = useI18n();
  const me = useUser();
  const result = useStaffTranscript(conversationId);
  const [params] = useSearchParams();
  const openedAt = params.get('message');
  useOpenAtMessage(openedAt, result.data != null);
  const [promoting, setPromoting] = useState<TranscriptMessage | null>(null);
  const [status, setStatus] = useState('');

  const back = <BackLink to="/staff/conversations" label={t('admin.backToConversations')} />;
  if (!result.data) return <QueryPanel query={result} back={back} />;

  const { conversation, participant, pause, messages } = result.data;
  const name = participant.name || t('common.none');
  return (
    <section className="panel transcript" data-testid="staff-transcript">
      {back}
      <header className="transcript__header">
        <div>
          <h2 className="panel__title">{conversation.title?.trim() || t('chat.untitled')}</h2>
          <p className="muted">
            {formatDate(conversation.created_at, 'long')} · {t('admin.messageCount', { count: messages.length })}
          </p>
        </div>
        <dl className="transcript__facts">
          <div>
            <dt>{t('admin.participantInfo')}</dt>
            <dd>
              <Link to={`/staff/conversations?user_id=${encodeURIComponent(participant.id)}`}>{name}</Link>
            </dd>
          </div>
          <div>
            <dt>{t('admin.channel')}</dt>
            <dd>
              <ChannelBadge channel={conversation.channel} />
            </dd>
          </div>
        </dl>
      </header>
      <TakeoverBar conversationId={conversation.id} pause={pause} />
      <ol className="messages__list transcript__messages" aria-label={t('admin.transcript')} data-testid="staff-messages">
        {messages.map((message) => (
          <Fragment key={message.id}>
            <MessageItem message={message} variant="admin" deliveries={message.deliveries} />
            <OriginNote origin={message.origin} />
            {me.is_admin && promotable(message, openedAt) && (
              <li className="transcript__tools">
                <button type="button" className="btn btn--ghost btn--sm" onClick={() => setPromoting(message)} data-testid="promote-button">
                  <Icon name="target" size={14} />
                  {t('staff.promote')}
                </button>
              </li>
            )}
          </Fragment>
        ))}
      </ol>
      <MentorComposer conversationId={conversation.id} participant={name} />
      <LiveMessage className="transcript__status">{status}</LiveMessage>
      {promoting && (
        <PromoteDialog
          message={promoting}
          onClose={() => setPromoting(null)}
          onPromoted={(cases) => {
            setPromoting(null);
            setStatus(t('staff.promoted', { count: cases.length }));
          }}
        />
      )}
    </section>
  );
}
