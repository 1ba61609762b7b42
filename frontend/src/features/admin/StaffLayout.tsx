/**
 * The staff area, for mentors (their participants) and admins (everyone): what needs a human,
 * the conversations, and taking one over from the AI.
 */
import { NavLink, Outlet } from 'react-router';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { useQueueCounts, useStaffLive } from './staffQueries';

export function StaffLayout() {
  const { t } = useI18n();
  const user = useUser();
  useStaffLive();
  const counts = useQueueCounts(true);
  const total = counts.data?.total ?? 0;
  const link = ({ isActive }: { isActive: boolean }) => (isActive ? 'tabs__link is-active' : 'tabs__link');
  return (
    <main className="page page--wide" id="main">
      <header className="page__header page__header--row">
        <h1 className="page__title">
          <Icon name="users" size={22} />
          {t('staff.title')}
        </h1>
        <p className="muted">{user.is_admin ? t('staff.scopeAdmin') : t('staff.scopeMentor')}</p>
      </header>
      <nav className="tabs" aria-label={t('staff.nav')} data-testid="staff-nav">
        <NavLink to="/staff/queue" className={link}>
          <Icon name="alert" />
          {t('staff.queue')}
          {total > 0 && (
            <span className="count-badge" data-testid="queue-count" aria-label={t('staff.openItems', { count: total })}>
              {total}
            </span>
          )}
        </NavLink>
        <NavLink to="/staff/conversations" className={link}>
          <Icon name="chat" />
          {t('staff.conversations')}
        </NavLink>
      </nav>
      <Outlet />
    </main>
  );
}
