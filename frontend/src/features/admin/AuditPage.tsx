/** Admin: who did what, when and from where. */
import { useId, useState, type SyntheticEvent } from 'react';
import { useSearchParams } from 'react-router';
import { adminAudit } from '../../api/admin';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n } from '../../i18n';

export function AuditPage() {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const actorId = params.get('actor_id') ?? '';
  const [form, setForm] = useState({ action, actorId });
  const entries = usePaged(
    (cursor) => adminAudit({ action: action || undefined, actor_id: actorId || undefined }, cursor),
    `audit:${action}:${actorId}`,
  );

  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (form.action.trim()) next.set('action', form.action.trim());
    if (form.actorId.trim()) next.set('actor_id', form.actorId.trim());
    setParams(next);
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel__header">
        <h2 id={`${id}-title`} className="panel__title">
          {t('admin.audit')}
        </h2>
      </div>
      <form className="filters" onSubmit={apply} aria-label={t('common.filters')}>
        <div className="field">
          <label htmlFor={`${id}-action`}>{t('admin.auditAction')}</label>
          <input
            id={`${id}-action`}
            value={form.action}
            placeholder="user.create"
            onChange={(e) => setForm((f) => ({ ...f, action: e.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-actor`}>{t('admin.auditActorId')}</label>
          <input id={`${id}-actor`} value={form.actorId} onChange={(e) => setForm((f) => ({ ...f, actorId: e.target.value }))} />
        </div>
        <div className="filters__actions">
          <button type="submit" className="btn btn--primary">
            {t('common.apply')}
          </button>
        </div>
      </form>

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
                <tr key={entry.id} data-testid="audit-row">
                  <td data-label={t('admin.auditWhen')}>{formatDate(entry.created_at, 'long')}</td>
                  <td data-label={t('admin.auditActor')}>{entry.actor_name || (entry.actor_id ? entry.actor_id.slice(0, 8) : t('admin.system'))}</td>
                  <td data-label={t('admin.auditAction')}>
                    <code className="code-pill">{entry.action}</code>
                  </td>
                  <td data-label={t('admin.auditTarget')}>
                    {entry.target_type ? (
                      <div>
                        {entry.target_type}
                        {entry.target_id && <span className="mono cell-sub">{entry.target_id}</span>}
                      </div>
                    ) : (
                      t('common.none')
                    )}
                  </td>
                  <td data-label={t('admin.auditIp')} className="mono">
                    {entry.client_ip ?? t('common.none')}
                  </td>
                  <td data-label={t('admin.auditDetails')}>
                    {Object.keys(entry.details as Record<string, unknown> | null ?? {}).length > 0 ? (
                      <details>
                        <summary>{t('admin.auditDetails')}</summary>
                        <pre className="details-json">{JSON.stringify(entry.details, null, 2)}</pre>
                      </details>
                    ) : (
                      t('common.none')
                    )}
                  </td>
                </tr>
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
