/** One audit entry as a table row: people and things by name, details as "key: value" lines. */
import { memo } from 'react';
import { Link } from 'react-router';
import type { AuditEntry } from '../../api/types';
import { useI18n, type MessageKey } from '../../i18n';
import { AUDIT_ACTIONS, AUDIT_TARGETS, isKnown } from './auditLabels';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function shortId(id: string): string {
  return UUID.test(id) ? `${id.slice(0, 8)}…` : id;
}

function Target({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  if (!entry.target_type) return <>{t('common.none')}</>;
  const type = isKnown(AUDIT_TARGETS, entry.target_type) ? t(`audit.target.${entry.target_type}` as MessageKey) : entry.target_type;
  const id = entry.target_id;
  const name = entry.target_name ?? (id ? shortId(id) : null);
  const owner = entry.target_user_name ? t('audit.ofUser', { name: entry.target_user_name }) : null;
  return (
    <div className="audit-target">
      <span className="cell-sub">{type}</span>
      {name &&
        (entry.target_type === 'conversation' && id ? (
          <Link to={`/admin/conversations/${id}`} className="cell-link" title={id}>
            {name}
          </Link>
        ) : (
          <span className={entry.target_name ? 'cell-strong' : 'mono'} title={id ?? undefined}>
            {name}
          </span>
        ))}
      {owner && <span className="cell-sub">{owner}</span>}
      {id && !entry.target_name && UUID.test(id) && entry.target_type !== 'audit_log' && (
        <span className="cell-sub">{t('audit.gone')}</span>
      )}
    </div>
  );
}

/** A detail's value as words: lists joined, yes/no for flags, nested objects as "key: value". */
function useDetailText(): (value: unknown) => string {
  const { t } = useI18n();
  const text = (value: unknown): string => {
    if (value === null || value === undefined || value === '') return t('common.none');
    if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
    if (Array.isArray(value)) return value.map(text).join(', ');
    if (typeof value === 'object') {
      return Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${text(v)}`)
        .join('; ');
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  return text;
}

function Details({ details }: { details: AuditEntry['details'] }) {
  const { t } = useI18n();
  const text = useDetailText();
  const entries = Object.entries(details);
  if (entries.length === 0) return <>{t('common.none')}</>;
  return (
    <dl className="audit-details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key.replace(/_/g, ' ')}</dt>
          <dd>
            {key === 'user_id' && typeof value === 'string' && UUID.test(value) ? (
              <Link to={`/admin/conversations?user_id=${value}`} className="mono" title={value}>
                {shortId(value)}
              </Link>
            ) : (
              text(value)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export const AuditRow = memo(function AuditRow({ entry }: { entry: AuditEntry }) {
  const { t, formatDate } = useI18n();
  return (
    <tr data-testid="audit-row" data-action={entry.action}>
      <td data-label={t('admin.auditWhen')}>{formatDate(entry.created_at, 'long')}</td>
      <td data-label={t('admin.auditActor')}>
        {entry.actor_name || (entry.actor_id ? <span className="mono">{shortId(entry.actor_id)}</span> : t('admin.system'))}
      </td>
      <td data-label={t('admin.auditAction')}>
        <div className="audit-action">
          {isKnown(AUDIT_ACTIONS, entry.action) && <span className="cell-strong">{t(`audit.action.${entry.action}`)}</span>}
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
        <Details details={entry.details} />
      </td>
    </tr>
  );
});
