/** The admin's conversation list: one row per conversation, with where a text search matched. */
import { Link } from 'react-router';
import type { AdminConversation } from '../../api/types';
import { Snippet } from '../../components/Snippet';
import { useI18n } from '../../i18n';
import { ChannelBadge } from '../../components/channels';

/** The transcript, opened at the matching message when there is one. */
export function transcriptLink(c: AdminConversation, base = '/admin/conversations'): string {
  const at = c.match ? `?message=${encodeURIComponent(c.match.message_id)}` : '';
  return `${base}/${c.id}${at}`;
}

/** `base`: where the rows lead (the admin's review, or the staff area's takeover view). */
export function ConversationResults({ items, base = '/admin/conversations' }: { items: AdminConversation[]; base?: string }) {
  const { t, formatDate } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="admin-conversations-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.conversationTitle')}</th>
            <th scope="col">{t('admin.user')}</th>
            <th scope="col">{t('admin.channel')}</th>
            <th scope="col">{t('admin.messages')}</th>
            <th scope="col">{t('admin.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-testid="admin-conversation-row">
              <td data-label={t('admin.conversationTitle')}>
                <Link to={transcriptLink(c, base)} className="cell-link">
                  {c.title?.trim() || t('chat.untitled')}
                </Link>
                {c.match && (
                  <Link to={transcriptLink(c, base)} className="search-hit" aria-label={t('admin.matchIn')}>
                    <Snippet parts={c.match.snippet} />
                  </Link>
                )}
              </td>
              <td data-label={t('admin.user')}>
                <Link to={`${base}?user_id=${encodeURIComponent(c.user.id)}`} className="cell-sub-link">
                  {c.user.name || c.user.id.slice(0, 8)}
                </Link>
              </td>
              <td data-label={t('admin.channel')}>
                <ChannelBadge channel={c.channel} />
              </td>
              <td data-label={t('admin.messages')}>{c.message_count}</td>
              <td data-label={t('admin.updated')}>{formatDate(c.updated_at, 'long')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
