/** The audit log's filters: what, who and a range of days (UTC); applied to the URL. */
import { useId, useState, type SyntheticEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { AuditFilters as Filters } from '../../api/admin';
import { listUsers } from '../../api/users';
import { useI18n } from '../../i18n';
import { AUDIT_ACTIONS, isKnown } from './auditLabels';

/** Admins, for the "who" filter (staff are the ones who act here). */
function useAdmins() {
  return useQuery({
    queryKey: ['admin', 'users', 'admins'],
    queryFn: async () => (await listUsers({ limit: 200 })).items.filter((u) => u.is_admin),
    staleTime: 5 * 60_000,
  }).data ?? [];
}

export function AuditFilters({ applied, onApply }: { applied: Filters; onApply: (filters: Filters) => void }) {
  const { t } = useI18n();
  const id = useId();
  const [form, setForm] = useState<Filters>(applied);
  const [synced, setSynced] = useState(applied);
  if (synced !== applied) {
    // The URL changed (back button, a link): show its filters.
    setSynced(applied);
    setForm(applied);
  }
  const admins = useAdmins();
  const set = (key: keyof Filters) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    onApply(form);
  };
  const action = form.action ?? '';
  const actor = form.actor_id ?? '';

  return (
    <form className="filters filters--audit" onSubmit={apply} aria-label={t('common.filters')}>
      <div className="field">
        <label htmlFor={`${id}-action`}>{t('admin.auditAction')}</label>
        <select id={`${id}-action`} value={action} onChange={(e) => set('action')(e.target.value)}>
          <option value="">{t('audit.allActions')}</option>
          {action && !isKnown(AUDIT_ACTIONS, action) && <option value={action}>{action}</option>}
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {t(`audit.action.${a}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-actor`}>{t('admin.auditActor')}</label>
        <select id={`${id}-actor`} value={actor} onChange={(e) => set('actor_id')(e.target.value)}>
          <option value="">{t('audit.allActors')}</option>
          {actor && !admins.some((u) => u.id === actor) && <option value={actor}>{actor.slice(0, 8)}…</option>}
          {admins.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name || u.phone_number}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-from`}>{t('admin.dateFrom')}</label>
        <input id={`${id}-from`} type="date" value={form.from ?? ''} max={form.to || undefined} onChange={(e) => set('from')(e.target.value)} aria-describedby={`${id}-utc`} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>{t('admin.dateTo')}</label>
        <input id={`${id}-to`} type="date" value={form.to ?? ''} min={form.from || undefined} onChange={(e) => set('to')(e.target.value)} aria-describedby={`${id}-utc`} />
      </div>
      <div className="filters__actions">
        <p id={`${id}-utc`} className="field__hint">
          {t('audit.daysUtc')}
        </p>
        <button type="submit" className="btn btn--primary">
          {t('common.apply')}
        </button>
      </div>
    </form>
  );
}
