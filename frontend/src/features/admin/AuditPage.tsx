/** Admin: who did what, when and from where, for a range of days; filters live in the URL. */
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { downloadAuditCsv, type AuditFilters as Filters } from '../../api/admin';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { AuditFilters } from './AuditFilters';
import { AuditRow } from './AuditRow';
import { useAdminAudit } from './queries';

const KEYS = ['action', 'actor_id', 'from', 'to'] as const;

function readFilters(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

/** "Export CSV" for the filters on screen: fetched with the session (a plain link has no token). */
function ExportButton({ filters }: { filters: Filters }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadAuditCsv(filters);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="audit-export">
      <button type="button" className="btn btn--ghost" onClick={() => void run()} disabled={busy} data-testid="audit-export" title={t('audit.exportHint')}>
        <Icon name="download" /> {busy ? t('audit.exporting') : t('audit.exportCsv')}
      </button>
      {error != null && <Alert>{errorText(error)}</Alert>}
    </div>
  );
}

export function AuditPage() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  const [applied, setApplied] = useState(() => ({ key, filters: readFilters(params) }));
  if (applied.key !== key) setApplied({ key, filters: readFilters(params) });
  const filters = applied.filters;
  const entries = useAdminAudit(filters);

  const apply = (next: Filters) => {
    const search = new URLSearchParams();
    for (const k of KEYS) {
      const value = next[k]?.trim();
      if (value) search.set(k, value);
    }
    setParams(search);
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel__header">
        <h2 id={`${id}-title`} className="panel__title">
          {t('admin.audit')}
        </h2>
        <ExportButton filters={filters} />
      </div>
      <AuditFilters applied={filters} onApply={apply} />

      {entries.error != null && (
        <Alert onRetry={entries.reload} retryLabel={t('common.retry')}>
          {errorText(entries.error)}
        </Alert>
      )}
      {entries.items.length === 0 && !entries.loading && entries.error == null ? (
        <EmptyState icon="list" title={t('admin.noAudit')} />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.auditWhen')}</th>
                <th scope="col">{t('admin.auditActor')}</th>
                <th scope="col">{t('admin.auditAction')}</th>
                <th scope="col">{t('admin.auditTarget')}</th>
                <th scope="col">{t('admin.auditIp')}</th>
                <th scope="col">{t('admin.auditDetails')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((entry) => (
                <AuditRow key={entry.id} entry={entry} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.loading && <Spinner label={t('app.loading')} />}
      {entries.hasMore && !entries.loading && (
        <button type="button" className="btn btn--ghost" onClick={entries.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  );
}
