/** Admin: one conversation as it happened, with channel, specialist, delivery status and attachments per message. */
import { Fragment } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { Icon } from '../../components/Icon';
import { BackLink, QueryPanel } from '../../components/QueryPanel';
import { useOpenAtMessage } from '../../hooks/useOpenAtMessage';
import { useI18n } from '../../i18n';
import { MessageItem } from '../../components/messages/MessageItem';
import { UserMemoryPanel } from './UserMemoryPanel';
import { AGENTS, SPECIALISTS } from '../../lib/specialists';
import { ChannelBadge } from '../../components/channels';
import { OriginNote } from './OriginNote';
import { TranscriptActions } from './TranscriptActions';
import { useTranscript } from './queries';

export function TranscriptPage() {
  const { conversationId = '' } = useParams();
  const { t, formatDate } = useI18n();
  const result = useTranscript(conversationId);
  const [params] = useSearchParams();
  useOpenAtMessage(params.get('message'), result.data != null);

  const back = <BackLink to="/admin/conversations" label={t('admin.backToConversations')} />;

  if (!result.data) return <QueryPanel query={result} back={back} />;

  const { conversation, user, messages } = result.data;
  const agents = AGENTS.filter((agent) => messages.some((m) => m.role === 'assistant' && m.agent === agent));
  return (
    <section className="panel transcript" data-testid="transcript">
      {back}
      <header className="transcript__header">
        <div>
          <h2 className="panel__title">{conversation.title?.trim() || t('chat.untitled')}</h2>
          <p className="muted">
            {formatDate(conversation.created_at, 'long')} · {t('admin.messageCount', { count: messages.length })}
          </p>
        </div>
        <TranscriptActions data={result.data} />
        <dl className="transcript__facts">
          <div>
            <dt>{t('admin.participantInfo')}</dt>
            <dd>
              <Link to={`/admin/conversations?user_id=${encodeURIComponent(user.id)}`}>{user.name || t('common.none')}</Link>
              <span className="mono cell-sub">{user.phone_number}</span>
            </dd>
          </div>
          <div>
            <dt>{t('admin.channel')}</dt>
            <dd>
              <ChannelBadge channel={conversation.channel} />
            </dd>
          </div>
          {agents.length > 0 && (
            <div>
              <dt>{t(agents.length > 1 ? 'admin.agents' : 'admin.agent')}</dt>
              <dd className="transcript__agents">
                {agents.map((agent) => (
                  <span key={agent} className={`specialist-chip specialist--${agent}`}>
                    <Icon name={SPECIALISTS[agent].icon} size={13} />
                    {t(SPECIALISTS[agent].label)}
                  </span>
                ))}
              </dd>
            </div>
          )}
        </dl>
      </header>
      <UserMemoryPanel userId={user.id} />
      <ol className="messages__list transcript__messages" aria-label={t('admin.transcript')}>
        {messages.map((message) => (
          <Fragment key={message.id}>
            <MessageItem message={message} variant="admin" deliveries={message.deliveries} />
            <OriginNote origin={message.origin} />
          </Fragment>
        ))}
      </ol>
    </section>
  );
}
