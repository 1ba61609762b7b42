/** Admin: the program's cohorts (editions), newest first; create one, open one. */
import { useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, LiveMessage, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { CohortDialog } from './CohortDialog';
import { useCohorts } from './cohortQueries';

export function CohortsPage() {
  const { t, formatDate } = useI18n();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const id = useId();
  const cohorts = useCohorts();
  const [creating, setCreating] = useState(false);
  const [status, setStatus] = useState('');
  const day = (iso: string) => formatDate(`${iso}T12:00:00`, 'date');

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel__header">
        <h2 id={`${id}-title`} className="panel__title">
          {t('cohorts.title')}
        </h2>
        <button type="button" className="btn btn--primary" onClick={() => setCreating(true)} data-testid="new-cohort">
          <Icon name="plus" />
          {t('cohorts.new')}
        </button>
      </div>
      <LiveMessage className="visually-hidden">{status}</LiveMessage>
      {cohorts.error != null && (
        <Alert onRetry={cohorts.reload} retryLabel={t('common.retry')}>
          {errorText(cohorts.error)}
        </Alert>
      )}
      {cohorts.items.length === 0 && !cohorts.loading && cohorts.error == null ? (
        <EmptyState icon="calendar" title={t('cohorts.none')} />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="cohorts-table">
            <thead>
              <tr>
                <th scope="col">{t('cohorts.name')}</th>
                <th scope="col">{t('cohorts.dates')}</th>
                <th scope="col">{t('cohorts.language')}</th>
                <th scope="col">{t('cohorts.members')}</th>
              </tr>
            </thead>
            <tbody>
              {cohorts.items.map((c) => (
                <tr key={c.id} data-testid="cohort-row">
                  <td data-label={t('cohorts.name')}>
                    <Link to={`/admin/cohorts/${c.id}`} className="cell-link">
                      {c.name}
                    </Link>
                  </td>
                  <td data-label={t('cohorts.dates')}>
                    {day(c.starts_on)} – {day(c.ends_on)}
                  </td>
                  <td data-label={t('cohorts.language')}>{t(`app.lang.${c.language}`)}</td>
                  <td data-label={t('cohorts.members')} data-testid="cohort-member-count">
                    {c.member_count}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cohorts.loading && <Spinner label={t('app.loading')} />}
      {cohorts.hasMore && !cohorts.loading && (
        <button type="button" className="btn btn--ghost" onClick={cohorts.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
      <CohortDialog
        open={creating}
        cohort={null}
        onClose={() => setCreating(false)}
        onSaved={(saved) => {
          setCreating(false);
          setStatus(t('cohorts.created'));
          void navigate(`/admin/cohorts/${saved.id}`);
        }}
      />
    </section>
  );
}
