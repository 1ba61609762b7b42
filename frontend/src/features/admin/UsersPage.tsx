/** Admin: find, create, edit, (de)activate, promote and delete users. */
import { useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../api/errors';
import type { User } from '../../api/types';
import { deleteUser, listUsers, updateUser } from '../../api/users';
import { ConfirmDialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Alert, Badge, EmptyState, LiveMessage, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { useUser } from '../auth/AuthContext';
import { UserDialog } from './UserDialog';

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function UsersPage() {
  const { t, formatDate } = useI18n();
  const me = useUser();
  const errorText = useErrorText();
  const searchId = useId();
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), 250);
  const users = usePaged((cursor) => listUsers({ search: query, cursor }), `users:${query}`);
  const [dialog, setDialog] = useState<{ user: User | null } | null>(null);
  const [toDelete, setToDelete] = useState<User | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [actionError, setActionError] = useState<string | null>(null);

  const replace = (updated: User) => users.setItems((items) => items.map((u) => (u.id === updated.id ? updated : u)));

  const patch = async (user: User, change: { is_active?: boolean; is_admin?: boolean }) => {
    setActionError(null);
    try {
      replace(await updateUser(user.id, change));
      setStatus(t('admin.userUpdated'));
    } catch (error) {
      setActionError(error instanceof ApiError && error.status === 409 ? error.message || t('admin.lastAdmin') : errorText(error));
    }
  };

  const confirmDelete = async () => {
    if (!toDelete) return;
    setBusy(true);
    setDeleteError(null);
    try {
      await deleteUser(toDelete.id);
      users.setItems((items) => items.filter((u) => u.id !== toDelete.id));
      setToDelete(null);
      setStatus(t('admin.userDeleted'));
    } catch (error) {
      setDeleteError(error instanceof ApiError && error.status === 409 ? error.message || t('admin.lastAdmin') : errorText(error));
    } finally {
      setBusy(false);
    }
  };

  const display = (user: User) => user.name || user.phone_number;

  return (
    <section className="panel" aria-labelledby={`${searchId}-title`}>
      <div className="panel__header">
        <h2 id={`${searchId}-title`} className="panel__title">
          {t('admin.users')}
        </h2>
        <button type="button" className="btn btn--primary" onClick={() => setDialog({ user: null })} data-testid="new-user">
          <Icon name="plus" />
          {t('admin.newUser')}
        </button>
      </div>
      <div className="toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          {t('admin.searchUsers')}
        </label>
        <div className="input-with-icon toolbar__search">
          <Icon name="search" />
          <input
            id={searchId}
            type="search"
            placeholder={t('admin.searchUsers')}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="user-search"
          />
        </div>
      </div>
      <LiveMessage className="visually-hidden">{status}</LiveMessage>
      {actionError && <Alert>{actionError}</Alert>}
      {users.error != null && (
        <Alert onRetry={users.reload} retryLabel={t('common.retry')}>
          {errorText(users.error)}
        </Alert>
      )}

      {users.items.length === 0 && !users.loading && users.error == null ? (
        <EmptyState icon="users" title={t('admin.noUsers')} />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.name')}</th>
                <th scope="col">{t('admin.phone')}</th>
                <th scope="col">{t('admin.role')}</th>
                <th scope="col">{t('admin.status')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('admin.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.items.map((user) => (
                <tr key={user.id} data-testid="user-row" className={user.is_active ? undefined : 'is-muted'}>
                  <td data-label={t('admin.name')}>
                    <div>
                      <span className="cell-strong">{user.name || t('common.none')}</span>
                      {user.id === me.id && <span className="muted"> ({t('admin.you')})</span>}
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
                  </td>
                  <td data-label={t('admin.status')}>
                    <Badge tone={user.is_active ? 'success' : 'neutral'}>{user.is_active ? t('admin.active') : t('admin.inactive')}</Badge>
                  </td>
                  <td data-label={t('admin.created')}>{formatDate(user.created_at, 'date')}</td>
                  <td className="table__actions">
                    <Link
                      className="icon-btn"
                      to={`/admin/conversations?user_id=${encodeURIComponent(user.id)}`}
                      aria-label={t('admin.viewConversations', { name: display(user) })}
                      title={t('admin.viewConversations', { name: display(user) })}
                    >
                      <Icon name="chat" />
                    </Link>
                    <button
                      type="button"
                      className="icon-btn"
                      onClick={() => setDialog({ user })}
                      aria-label={`${t('common.edit')}: ${display(user)}`}
                      title={t('common.edit')}
                    >
                      <Icon name="pencil" />
                    </button>
                    <button type="button" className="btn btn--ghost btn--sm" onClick={() => void patch(user, { is_admin: !user.is_admin })}>
                      {user.is_admin ? t('admin.removeAdmin') : t('admin.makeAdmin')}
                    </button>
                    <button type="button" className="btn btn--ghost btn--sm" onClick={() => void patch(user, { is_active: !user.is_active })}>
                      {user.is_active ? t('admin.deactivate') : t('admin.activate')}
                    </button>
                    <button
                      type="button"
                      className="icon-btn icon-btn--danger"
                      onClick={() => {
                        setDeleteError(null);
                        setToDelete(user);
                      }}
                      aria-label={`${t('common.delete')}: ${display(user)}`}
                      title={t('common.delete')}
                    >
                      <Icon name="trash" />
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {users.loading && <Spinner label={t('app.loading')} />}
      {users.hasMore && !users.loading && (
        <button type="button" className="btn btn--ghost" onClick={users.loadMore}>
          {t('common.loadMore')}
        </button>
      )}

      <UserDialog
        open={dialog !== null}
        user={dialog?.user ?? null}
        onClose={() => setDialog(null)}
        onSaved={(saved, created) => {
          if (created) users.setItems((items) => [saved, ...items]);
          else replace(saved);
          setDialog(null);
          setStatus(created ? t('admin.userCreated') : t('admin.userUpdated'));
        }}
      />
      <ConfirmDialog
        open={toDelete !== null}
        title={t('admin.deleteUserTitle', { name: toDelete ? display(toDelete) : '' })}
        body={t('admin.deleteUserBody')}
        confirmLabel={t('common.delete')}
        busy={busy}
        error={deleteError}
        onConfirm={() => void confirmDelete()}
        onClose={() => setToDelete(null)}
      />
    </section>
  );
}
