/** Which cohorts a participant has been in: the current one first, past ones kept as history. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { userCohorts } from '../../api/cohorts';
import { useI18n } from '../../i18n';

export function UserCohorts({ userId }: { userId: string }) {
  const { t, formatDate } = useI18n();
  const history = useQuery({ queryKey: ['admin', 'cohorts', 'history', userId], queryFn: () => userCohorts(userId) });
  const items = history.data ?? [];
  if (history.isPending || history.isError) return null;
  return (
    <div className="field" data-testid="user-cohorts">
      <span className="field__label">{t('cohorts.history')}</span>
      {items.length === 0 ? (
        <p className="muted">{t('cohorts.historyNone')}</p>
      ) : (
        <ul className="mentor-list">
          {items.map((m) => (
            <li key={`${m.cohort_id}-${m.joined_at}`}>
              <Link to={`/admin/cohorts/${m.cohort_id}`}>{m.cohort_name}</Link>
              <span className="muted">
                {m.left_at
                  ? t('cohorts.historyPast', { from: formatDate(m.joined_at, 'date'), to: formatDate(m.left_at, 'date') })
                  : t('cohorts.historyNow', { from: formatDate(m.joined_at, 'date') })}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
