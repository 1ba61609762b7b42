/** Pick participants to put in a cohort: search by name or number, tick, add. */
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Cohort } from '../../api/types';
import { listUsers } from '../../api/users';
import { Dialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Spinner } from '../../components/ui';
import { useDebounced } from '../../hooks/useDebounced';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useCohortChange } from './cohortQueries';

interface Props {
  open: boolean;
  cohort: Cohort;
  memberIds: string[];
  onClose: () => void;
  onAdded: (count: number) => void;
}

export function AddMembersDialog(props: Props) {
  return props.open ? <Picker {...props} /> : null;
}

function Picker({ cohort, memberIds, onClose, onAdded }: Props) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const term = useDebounced(search.trim(), 250);
  const found = useQuery({
    queryKey: ['admin', 'cohorts', 'candidates', term],
    queryFn: () => listUsers({ search: term, limit: 50 }),
  });
  const change = useCohortChange(cohort.id);
  const candidates = (found.data?.items ?? []).filter((u) => !u.is_admin && !memberIds.includes(u.id));

  const toggle = (userId: string, on: boolean) =>
    setPicked((previous) => {
      const next = new Set(previous);
      if (on) next.add(userId);
      else next.delete(userId);
      return next;
    });

  const submit = () => {
    if (picked.size === 0) return;
    change.mutate({ kind: 'addMembers', userIds: [...picked] }, { onSuccess: () => onAdded(picked.size) });
  };

  return (
    <Dialog
      open
      title={t('cohorts.addMembersTo', { name: cohort.name })}
      onClose={onClose}
      onSubmit={submit}
      testId="add-members-dialog"
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={picked.size === 0 || change.isPending} data-testid="add-members-save">
            {t('cohorts.addCount', { count: picked.size })}
          </button>
        </>
      }
    >
      <div className="form">
        <div className="field">
          <label htmlFor={`${id}-search`}>{t('admin.searchUsers')}</label>
          <div className="input-with-icon">
            <Icon name="search" />
            <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="member-search" autoFocus />
          </div>
        </div>
        <fieldset className="fieldset member-picks">
          <legend className="visually-hidden">{t('cohorts.candidates')}</legend>
          {found.isPending && <Spinner label={t('app.loading')} />}
          {!found.isPending && candidates.length === 0 && <p className="muted">{t('admin.noUsers')}</p>}
          {candidates.map((u) => (
            <label key={u.id} className="check" data-testid="member-candidate">
              <input type="checkbox" checked={picked.has(u.id)} onChange={(e) => toggle(u.id, e.target.checked)} />
              {u.name || t('common.none')} <span className="mono muted">{u.phone_number}</span>
            </label>
          ))}
        </fieldset>
        <p className="field__hint">{t('cohorts.moveHint')}</p>
        <p className="form-error" role="alert">
          {change.error ? errorText(change.error) : null}
        </p>
      </div>
    </Dialog>
  );
}
