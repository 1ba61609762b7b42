/** Admin: find (by name, number or cohort), create, edit, (de)activate, promote, export and delete users. */
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { downloadUserData } from '../../api/downloads';
import { ApiError } from '../../api/errors';
import type { User } from '../../api/types';
import { listUsers, updateUser } from '../../api/users';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, LiveMessage, Spinner } from '../../components/ui';
import { useDebounced } from '../../hooks/useDebounced';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { CohortSelect } from './CohortSelect';
import { MentorsDialog } from './MentorsDialog';
import { ImportUsersDialog } from './ImportUsersDialog';
import { UserDeleteConfirm } from './UserDeleteConfirm';
import { UserChangeConfirm, type ConfirmedChange } from './UserChangeConfirm';
import { UserDialog } from './UserDialog';
import { UserRow } from './UserRow';
import { UsersTable } from './UsersTable';

export function UsersPage() {
  const { t } = useI18n();
  const me = useUser();
  const errorText = useErrorText();
  const searchId = useId();
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), 250);
  const [params, setParams] = useSearchParams();
  const cohortId = params.get('cohort_id') ?? '';
  const users = usePaged((cursor) => listUsers({ search: query, cohort_id: cohortId, cursor }), `users:${query}:${cohortId}`);
  const [exporting, setExporting] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ user: User | null } | null>(null);
  const [toDelete, setToDelete] = useState<User | null>(null);
  const [confirming, setConfirming] = useState<{ user: User; change: ConfirmedChange } | null>(null);
  const [mentorsOf, setMentorsOf] = useState<User | null>(null);
  const [importing, setImporting] = useState(false);
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

  const display = (user: User) => user.name || user.phone_number;

  const exportData = async (user: User) => {
    setActionError(null);
    setExporting(user.id);
    try {
      await downloadUserData(user.id);
      setStatus(t('export.userDone', { name: display(user) }));
    } catch (error) {
      setActionError(errorText(error));
    } finally {
      setExporting(null);
    }
  };

  const filterCohort = (id: string) => {
    const next = new URLSearchParams(params);
    if (id) next.set('cohort_id', id);
    else next.delete('cohort_id');
    setParams(next);
  };

  return (
    <section className="panel" aria-labelledby={`${searchId}-title`}>
      <div className="panel__header">
        <h2 id={`${searchId}-title`} className="panel__title">
          {t('admin.users')}
        </h2>
        <div className="panel__actions">
          <button type="button" className="btn btn--secondary" onClick={() => setImporting(true)} data-testid="import-users">
            <Icon name="upload" />
            {t('import.open')}
          </button>
          <button type="button" className="btn btn--primary" onClick={() => setDialog({ user: null })} data-testid="new-user">
            <Icon name="plus" />
            {t('admin.newUser')}
          </button>
        </div>
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
        <CohortSelect value={cohortId} onChange={filterCohort} hiddenLabel />
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
        <UsersTable>
          {users.items.map((user) => (
            <UserRow
              key={user.id}
              user={user}
              isMe={user.id === me.id}
              exporting={exporting === user.id}
              onEdit={() => setDialog({ user })}
              onPatch={(change) => {
                setActionError(null);
                if (change.is_active === true) void patch(user, change);
                else if (change.is_admin !== undefined) setConfirming({ user, change: { is_admin: change.is_admin } });
                else setConfirming({ user, change: { is_active: false } });
              }}
              onExport={() => void exportData(user)}
              onMentors={() => setMentorsOf(user)}
              onDelete={() => setToDelete(user)}
            />
          ))}
        </UsersTable>
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
      {mentorsOf && <MentorsDialog participant={mentorsOf} onClose={() => setMentorsOf(null)} />}
      <ImportUsersDialog
        open={importing}
        onClose={() => setImporting(false)}
        onImported={(n) => {
          users.reload();
          setStatus(t('import.created', { n }));
        }}
      />
      <UserChangeConfirm
        pending={confirming}
        onDone={(updated) => {
          replace(updated);
          setConfirming(null);
          setStatus(t('admin.userUpdated'));
        }}
        onClose={() => setConfirming(null)}
      />
      <UserDeleteConfirm
        user={toDelete}
        onDeleted={(deleted) => {
          users.setItems((items) => items.filter((u) => u.id !== deleted.id));
          setToDelete(null);
          setStatus(t('admin.userDeleted'));
        }}
        onClose={() => setToDelete(null)}
      />
    </section>
  );
}
