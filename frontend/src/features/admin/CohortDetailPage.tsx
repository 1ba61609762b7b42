/** Admin: one cohort: its dates, language, retention and caps; its participants and mentors. */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { Cohort } from '../../api/types';
import { Icon } from '../../components/Icon';
import { LiveMessage } from '../../components/ui';
import { BackLink, QueryPanel } from '../../components/QueryPanel';
import { useI18n } from '../../i18n';
import { CohortDialog } from './CohortDialog';
import { CAPS } from './cohortForm';
import { CohortMembers } from './CohortMembers';
import { CohortMentors } from './CohortMentors';
import { useCohort } from './cohortQueries';

function Facts({ cohort }: { cohort: Cohort }) {
  const { t, formatDate } = useI18n();
  const day = (iso: string) => formatDate(`${iso}T12:00:00`, 'date');
  const tokens = (n: number | null | undefined) => (n == null ? t('cohorts.noCap') : n.toLocaleString());
  return (
    <dl className="transcript__facts" data-testid="cohort-facts">
      <div>
        <dt>{t('cohorts.dates')}</dt>
        <dd>
          {day(cohort.starts_on)} – {day(cohort.ends_on)}
        </dd>
      </div>
      <div>
        <dt>{t('cohorts.language')}</dt>
        <dd>{t(`app.lang.${cohort.language}`)}</dd>
      </div>
      <div>
        <dt>{t('cohorts.retentionDays')}</dt>
        <dd>{cohort.retention_days}</dd>
      </div>
      {CAPS.map((cap) => (
        <div key={cap}>
          <dt>{t(`cohorts.cap.${cap}`)}</dt>
          <dd>{tokens(cohort[cap])}</dd>
        </div>
      ))}
    </dl>
  );
}

export function CohortDetailPage() {
  const { cohortId = '' } = useParams();
  const { t } = useI18n();
  const result = useCohort(cohortId);
  const [editing, setEditing] = useState(false);
  const [status, setStatus] = useState('');

  const back = <BackLink to="/admin/cohorts" label={t('cohorts.back')} />;
  if (!result.data) return <QueryPanel query={result} back={back} />;
  const cohort = result.data;
  const q = `cohort_id=${encodeURIComponent(cohort.id)}`;
  return (
    <section className="panel" data-testid="cohort-detail" aria-labelledby="cohort-title">
      {back}
      <div className="panel__header">
        <h2 id="cohort-title" className="panel__title">
          {cohort.name}
        </h2>
        <button type="button" className="btn btn--secondary" onClick={() => setEditing(true)} data-testid="edit-cohort">
          <Icon name="pencil" />
          {t('common.edit')}
        </button>
      </div>
      <Facts cohort={cohort} />
      <nav className="chips" aria-label={t('cohorts.elsewhere')}>
        <Link className="chip" to={`/admin/users?${q}`}>
          <Icon name="users" size={14} />
          {t('cohorts.inUsers')}
        </Link>
        <Link className="chip" to={`/admin/conversations?${q}`}>
          <Icon name="chat" size={14} />
          {t('cohorts.inConversations')}
        </Link>
        <Link className="chip" to={`/admin/usage?${q}`}>
          <Icon name="chart" size={14} />
          {t('cohorts.inUsage')}
        </Link>
      </nav>
      <LiveMessage className="visually-hidden">{status}</LiveMessage>
      <CohortMembers cohort={cohort} onStatus={setStatus} />
      <CohortMentors cohort={cohort} onStatus={setStatus} />
      <CohortDialog
        open={editing}
        cohort={cohort}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          setStatus(t('cohorts.saved'));
        }}
      />
    </section>
  );
}
