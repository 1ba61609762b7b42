/** "Which cohort": a labelled select over the program's cohorts, for the admin lists' filters. */
import { useId } from 'react';
import { useI18n } from '../../i18n';
import { useCohorts } from './cohortQueries';

interface Props {
  value: string;
  onChange: (cohortId: string) => void;
  /** A visually hidden label (a toolbar) instead of one above the select (a filter form). */
  hiddenLabel?: boolean;
}

export function CohortSelect({ value, onChange, hiddenLabel = false }: Props) {
  const { t } = useI18n();
  const id = useId();
  const cohorts = useCohorts();
  const known = cohorts.items.some((c) => c.id === value);
  return (
    <div className="field">
      <label htmlFor={id} className={hiddenLabel ? 'visually-hidden' : undefined}>
        {t('cohorts.cohort')}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="cohort-filter">
        <option value="">{t('cohorts.all')}</option>
        {value && !known && <option value={value}>{cohorts.loading ? t('app.loading') : `${value.slice(0, 8)}…`}</option>}
        {cohorts.items.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}
