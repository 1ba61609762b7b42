/** The admin area: its own navigation above the selected section. */
import { NavLink, Outlet } from 'react-router';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { useAdminLive } from './queries';

export function AdminLayout() {
  const { t } = useI18n();
  useAdminLive();
  const link = ({ isActive }: { isActive: boolean }) => (isActive ? 'tabs__link is-active' : 'tabs__link');
  return (
    <main className="page page--wide" id="main">
      <header className="page__header page__header--row">
        <h1 className="page__title">
          <Icon name="shield" size={22} />
          {t('admin.title')}
        </h1>
      </header>
      <nav className="tabs" aria-label={t('admin.nav')} data-testid="admin-nav">
        <NavLink to="/admin/users" className={link}>
          <Icon name="users" />
          {t('admin.users')}
        </NavLink>
        <NavLink to="/admin/cohorts" className={link}>
          <Icon name="calendar" />
          {t('cohorts.title')}
        </NavLink>
        <NavLink to="/admin/conversations" className={link}>
          <Icon name="chat" />
          {t('admin.conversations')}
        </NavLink>
        <NavLink to="/admin/usage" className={link}>
          <Icon name="chart" />
          {t('usage.tab')}
        </NavLink>
        <NavLink to="/admin/audit" className={link}>
          <Icon name="list" />
          {t('admin.auditTab')}
        </NavLink>
      </nav>
      <Outlet />
    </main>
  );
}
