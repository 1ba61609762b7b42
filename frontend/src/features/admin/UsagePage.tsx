/** Admin: tokens and cost per cohort, per participant and per day, for a date range and a cohort; CSV. */
import { useId, useState, type SyntheticEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { UsageFilters } from '../../api/usage';
import { LiveMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { CapLiftButton } from './CapLiftButton';
import { CohortSelect } from './CohortSelect';
import { dayEnd, dayStart } from './conversationFilters';
import { UsageSection } from './UsageSection';

const KEYS = ['cohort_id', 'from', 'to'] as const;
type Form = Record<(typeof KEYS)[number], string>;

export function UsagePage() {
  const { t } = useI18n();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? ''])) as Form;
  const [form, setForm] = useState<Form>(applied);
  const [status, setStatus] = useState('');
  const key = params.toString();
  const [syncedKey, setSyncedKey] = useState(key);
  if (syncedKey !== key) {
    setSyncedKey(key); // the URL changed (back button, a link from a cohort): show its filters
    setForm(applied);
  }
  const filters: UsageFilters = { cohort_id: applied.cohort_id, date_from: dayStart(applied.from), date_to: dayEnd(applied.to) };
  const set = (k: keyof Form) => (value: string) => setForm((f) => ({ ...f, [k]: value }));

  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const k of KEYS) if (form[k]) next.set(k, form[k]);
    setParams(next);
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`} data-testid="usage-page">
      <div className="panel__header">
        <h2 id={`${id}-title`} className="panel__title">
          {t('usage.title')}
        </h2>
      </div>
      <form className="filters" onSubmit={apply} aria-label={t('common.filters')} data-testid="usage-filters">
        <CohortSelect value={form.cohort_id} onChange={set('cohort_id')} />
        <div className="field">
          <label htmlFor={`${id}-from`}>{t('admin.dateFrom')}</label>
          <input id={`${id}-from`} type="date" value={form.from} onChange={(e) => set('from')(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>{t('admin.dateTo')}</label>
          <input id={`${id}-to`} type="date" value={form.to} onChange={(e) => set('to')(e.target.value)} />
        </div>
        <div className="filters__actions">
          <button type="submit" className="btn btn--primary">
            {t('common.apply')}
          </button>
        </div>
      </form>
      <LiveMessage className="muted">{status}</LiveMessage>
      <UsageSection group="cohort" filters={filters} />
      <UsageSection
        group="participant"
        filters={filters}
        actions={(item) => item.key && <CapLiftButton userId={item.key} name={item.label ?? item.key.slice(0, 8)} onStatus={setStatus} />}
      />
      <UsageSection group="day" filters={filters} />
    </section>
  );
}
