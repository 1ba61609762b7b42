/** Admin: who did what, when and from where. */
import { useEffect, useId, useState, type SyntheticEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { adminAudit } from '../../api/admin';
import type { AuditEntry, User } from '../../api/types';
import { listUsers } from '../../api/users';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { usePaged } from '../../hooks/usePaged';
import { useI18n, type MessageKey } from '../../i18n';

/** The actions the API records, each with a sentence; an unknown one shows as its code. */
const ACTIONS = ['transcript.view', 'memory.view', 'audit.view', 'user.create', 'user.update', 'user.role_change', 'user.delete', 'user.bootstrap_admin'] as const;
const TARGETS = ['conversation', 'user', 'audit_log'] as const;

function isKnown<T extends string>(list: readonly T[], value: string | null): value is T {
  return value !== null && (list as readonly string[]).includes(value);
}

/** Admins, for the "who" filter (only admins act here). */
function useAdmins(): User[] {
  const [admins, setAdmins] = useState<User[]>([]);
  useEffect(() => {
    let active = true;
    listUsers({ limit: 200 }).then(
      (page) => active && setAdmins(page.items.filter((u) => u.is_admin)),
      () => undefined,
    );
    return () => {
      active = false;
    };
  }, []);
  return admins;
}

function Target({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  if (!entry.target_type) return <>{t('common.none')}</>;
  const type = isKnown(TARGETS, entry.target_type) ? t(`audit.target.${entry.target_type}` as MessageKey) : entry.target_type;
  return (
    <div>
      {type}
      {entry.target_id &&
        (entry.target_type === 'conversation' ? (
          <Link to={`/admin/conversations/${entry.target_id}`} className="mono cell-sub cell-sub-link">
            {entry.target_id}
          </Link>
        ) : (
          <span className="mono cell-sub">{entry.target_id}</span>
        ))}
    </div>
  );
}

export function AuditPage() {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const actorId = params.get('actor_id') ?? '';
  const [form, setForm] = useState({ action, actorId });
  const admins = useAdmins();
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
      <form className="filters filters--inline" onSubmit={apply} aria-label={t('common.filters')}>
        <div className="field">
          <label htmlFor={`${id}-action`}>{t('admin.auditAction')}</label>
          <select id={`${id}-action`} value={form.action} onChange={(e) => setForm((f) => ({ ...f, action: e.target.value }))}>
            <option value="">{t('audit.allActions')}</option>
            {form.action && !isKnown(ACTIONS, form.action) && <option value={form.action}>{form.action}</option>}
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {t(`audit.action.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-actor`}>{t('admin.auditActor')}</label>
          <select id={`${id}-actor`} value={form.actorId} onChange={(e) => setForm((f) => ({ ...f, actorId: e.target.value }))}>
            <option value="">{t('audit.allActors')}</option>
            {form.actorId && !admins.some((u) => u.id === form.actorId) && <option value={form.actorId}>{form.actorId.slice(0, 8)}…</option>}
            {admins.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name || u.phone_number}
              </option>
            ))}
          </select>
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
                    <div className="audit-action">
                      {isKnown(ACTIONS, entry.action) && <span className="cell-strong">{t(`audit.action.${entry.action}`)}</span>}
                      <code className="code-pill">{entry.action}</code>
                    </div>
                  </td>
                  <td data-label={t('admin.auditTarget')}>
                    <Target entry={entry} />
                  </td>
                  <td data-label={t('admin.auditIp')} className="mono">
                    {entry.client_ip ?? t('common.none')}
                  </td>
                  <td data-label={t('admin.auditDetails')}>
                    {Object.keys(entry.details).length > 0 ? (
                      <details>
                        <summary>{t('admin.auditDetails')}</summary>
                        <pre className="details-json" tabIndex={0}>{JSON.stringify(entry.details, null, 2)}</pre>
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
