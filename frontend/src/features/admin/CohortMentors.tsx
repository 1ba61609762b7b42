/** A cohort's mentors: they follow its current participants. Add one (a user marked mentor), remove one. */
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Cohort } from '../../api/types';
import { listUsers } from '../../api/users';
import { Alert } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useCohortChange } from './cohortQueries';

export function CohortMentors({ cohort, onStatus }: { cohort: Cohort; onStatus: (text: string) => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const people = useQuery({ queryKey: ['admin', 'cohorts', 'people'], queryFn: () => listUsers({ limit: 200 }) });
  const change = useCohortChange(cohort.id);
  const [chosen, setChosen] = useState('');
  const users = people.data?.items ?? [];
  const name = (userId: string) => {
    const user = users.find((u) => u.id === userId);
    return user ? user.name || user.phone_number : `${userId.slice(0, 8)}…`;
  };
  const options = users.filter((u) => u.is_mentor && !cohort.mentor_ids.includes(u.id));

  const add = () => {
    if (!chosen) return;
    change.mutate({ kind: 'addMentor', userId: chosen }, {
      onSuccess: () => {
        onStatus(t('cohorts.mentorAdded', { name: name(chosen) }));
        setChosen('');
      },
    });
  };

  return (
    <section className="cohort-section" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="cohort-section__title">
        {t('cohorts.mentors')}
      </h3>
      {change.error != null && <Alert>{errorText(change.error)}</Alert>}
      {cohort.mentor_ids.length === 0 ? (
        <p className="muted">{t('cohorts.noMentors')}</p>
      ) : (
        <ul className="mentor-list" data-testid="cohort-mentors">
          {cohort.mentor_ids.map((mentorId) => (
            <li key={mentorId}>
              <span className="cell-strong">{name(mentorId)}</span>
              <button
                type="button"
                className="btn btn--ghost btn--sm"
                disabled={change.isPending}
                onClick={() => change.mutate({ kind: 'removeMentor', userId: mentorId }, { onSuccess: () => onStatus(t('cohorts.mentorRemoved', { name: name(mentorId) })) })}
                aria-label={t('cohorts.removeMentor', { name: name(mentorId) })}
              >
                {t('cohorts.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {options.length > 0 ? (
        <div className="toolbar">
          <label htmlFor={`${id}-mentor`} className="visually-hidden">
            {t('cohorts.pickMentor')}
          </label>
          <select id={`${id}-mentor`} value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">{t('cohorts.pickMentor')}</option>
            {options.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name || u.phone_number}
              </option>
            ))}
          </select>
          <button type="button" className="btn btn--secondary btn--sm" disabled={!chosen || change.isPending} onClick={add}>
            {t('cohorts.addMentor')}
          </button>
        </div>
      ) : (
        <p className="field__hint">{t('cohorts.mentorHint')}</p>
      )}
    </section>
  );
}
