/** A cohort's current participants: add some (moving them out of any other cohort), remove one. */
import { useState } from 'react';
import type { Cohort } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { AddMembersDialog } from './AddMembersDialog';
import { useCohortChange, useCohortMembers } from './cohortQueries';
import { UsersTable } from './UsersTable';

export function CohortMembers({ cohort, onStatus }: { cohort: Cohort; onStatus: (text: string) => void }) {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const members = useCohortMembers(cohort.id);
  const change = useCohortChange(cohort.id);
  const [adding, setAdding] = useState(false);

  const remove = (userId: string, name: string) =>
    change.mutate({ kind: 'removeMember', userId }, { onSuccess: () => onStatus(t('cohorts.memberRemoved', { name })) });

  return (
    <section className="cohort-section" aria-labelledby="cohort-members-title">
      <div className="panel__header">
        <h3 id="cohort-members-title" className="cohort-section__title">
          {t('cohorts.membersTitle', { count: cohort.member_count })}
        </h3>
        <button type="button" className="btn btn--primary btn--sm" onClick={() => setAdding(true)} data-testid="add-members">
          <Icon name="plus" />
          {t('cohorts.addMembers')}
        </button>
      </div>
      {(members.error ?? change.error) != null && <Alert>{errorText(members.error ?? change.error)}</Alert>}
      {members.items.length === 0 && !members.loading ? (
        <EmptyState icon="users" title={t('cohorts.noMembers')} />
      ) : (
        <UsersTable columns={['name', 'phone', 'created']} testId="cohort-members">
          {members.items.map((user) => (
            <tr key={user.id} data-testid="cohort-member-row">
              <td data-label={t('admin.name')} className="cell-strong">
                {user.name || t('common.none')}
              </td>
              <td data-label={t('admin.phone')} className="mono">
                {user.phone_number}
              </td>
              <td data-label={t('admin.created')}>{formatDate(user.created_at, 'date')}</td>
              <td className="table__actions">
                <button
                  type="button"
                  className="btn btn--ghost btn--sm"
                  disabled={change.isPending}
                  onClick={() => remove(user.id, user.name || user.phone_number)}
                  aria-label={t('cohorts.removeMember', { name: user.name || user.phone_number })}
                >
                  {t('cohorts.remove')}
                </button>
              </td>
            </tr>
          ))}
        </UsersTable>
      )}
      {members.loading && <Spinner label={t('app.loading')} />}
      {members.hasMore && !members.loading && (
        <button type="button" className="btn btn--ghost" onClick={members.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
      <AddMembersDialog
        open={adding}
        cohort={cohort}
        memberIds={members.items.map((u) => u.id)}
        onClose={() => setAdding(false)}
        onAdded={(count) => {
          setAdding(false);
          onStatus(t('cohorts.membersAdded', { count }));
        }}
      />
    </section>
  );
}
