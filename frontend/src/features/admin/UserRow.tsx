/** One row of the admin user list: who, role, status, and what an admin can do to them. */
import { Link } from 'react-router';
import type { User } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Badge } from '../../components/ui';
import { useI18n } from '../../i18n';

interface Props {
  user: User;
  isMe: boolean;
  exporting: boolean;
  onEdit: () => void;
  onPatch: (change: { is_active?: boolean; is_admin?: boolean }) => void;
  onExport: () => void;
  onMentors: () => void;
  onDelete: () => void;
}

export function UserRow({ user, isMe, exporting, onEdit, onPatch, onExport, onMentors, onDelete }: Props) {
  const { t, formatDate } = useI18n();
  const display = user.name || user.phone_number;
  return (
    <tr data-testid="user-row" className={user.is_active ? undefined : 'is-muted'}>
      <td data-label={t('admin.name')}>
        <div>
          <span className="cell-strong">{user.name || t('common.none')}</span>
          {isMe && <span className="muted"> ({t('admin.you')})</span>}
          <span className="cell-sub">{user.preferred_language.toUpperCase()}</span>
        </div>
      </td>
      <td data-label={t('admin.phone')} className="mono">
        {user.phone_number}
      </td>
      <td data-label={t('admin.role')}>
        {user.is_admin ? (
          <Badge tone="primary" icon="shield">
            {t('admin.isAdmin')}
          </Badge>
        ) : (
          <Badge>{t('admin.participant')}</Badge>
        )}
        {user.is_mentor && <Badge icon="users">{t('staff.mentorRole')}</Badge>}
      </td>
      <td data-label={t('admin.status')}>
        <Badge tone={user.is_active ? 'success' : 'neutral'}>{user.is_active ? t('admin.active') : t('admin.inactive')}</Badge>
      </td>
      <td data-label={t('admin.created')}>{formatDate(user.created_at, 'date')}</td>
      <td className="table__actions">
        <Link
          className="icon-btn"
          to={`/admin/conversations?user_id=${encodeURIComponent(user.id)}`}
          aria-label={t('admin.viewConversations', { name: display })}
          title={t('admin.viewConversations', { name: display })}
        >
          <Icon name="chat" />
        </Link>
        <button type="button" className="icon-btn" onClick={onEdit} aria-label={`${t('common.edit')}: ${display}`} title={t('common.edit')}>
          <Icon name="pencil" />
        </button>
        <button
          type="button"
          className="icon-btn"
          onClick={onExport}
          disabled={exporting}
          aria-label={t('export.userLabel', { name: display })}
          title={t('export.user')}
          data-testid="export-user"
        >
          <Icon name="download" />
        </button>
        <button type="button" className="btn btn--ghost btn--sm" onClick={onMentors} aria-label={t('staff.mentorsOf', { name: display })} data-testid="user-mentors">
          {t('staff.mentors')}
        </button>
        <button type="button" className="btn btn--ghost btn--sm" onClick={() => onPatch({ is_admin: !user.is_admin })}>
          {user.is_admin ? t('admin.removeAdmin') : t('admin.makeAdmin')}
        </button>
        <button type="button" className="btn btn--ghost btn--sm" onClick={() => onPatch({ is_active: !user.is_active })}>
          {user.is_active ? t('admin.deactivate') : t('admin.activate')}
        </button>
        <button
          type="button"
          className="icon-btn icon-btn--danger"
          onClick={onDelete}
          aria-label={`${t('common.delete')}: ${display}`}
          title={t('common.delete')}
        >
          <Icon name="trash" />
        </button>
      </td>
    </tr>
  );
}
