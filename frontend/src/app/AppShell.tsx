/** The frame of every signed-in page: top bar with navigation, language and sign-out. */
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { updateMe } from '../api/users';
import { useAuth, useUser } from '../lib/auth';
import { useI18n } from '../i18n';
import { Icon } from '../components/Icon';
import { useSimulatorAvailable } from '../features/simulator/available';
import { StaffNavLink } from '../features/admin/StaffNavLink';
import { ConsentNotice } from '../features/consent/ConsentNotice';
import { ThemeSwitch } from '../theme/ThemeSwitch';
import { LanguageSwitch } from '../components/LanguageSwitch';

export function AppShell() {
  const { t } = useI18n();
  const user = useUser();
  const { signOut, setUser } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const displayName = user.name || user.phone_number;
  const simulator = useSimulatorAvailable(user.is_admin);

  const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? 'topnav__link is-active' : 'topnav__link');

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            I
          </span>
          <span className="brand__name">{t('app.name')}</span>
        </NavLink>
        <nav className="topnav" aria-label={t('nav.main')}>
          <NavLink to="/" end className={({ isActive }) => navClass({ isActive: isActive || location.pathname.startsWith('/c/') })}>
            <Icon name="chat" />
            <span>{t('nav.chat')}</span>
          </NavLink>
          <NavLink to="/profile" className={navClass}>
            <Icon name="user" />
            <span>{t('nav.profile')}</span>
          </NavLink>
          {simulator && (
            <NavLink to="/simulator" className={navClass} data-testid="simulator-link">
              <Icon name="phone" />
              <span>{t('nav.simulator')}</span>
            </NavLink>
          )}
          <StaffNavLink className={navClass} />
          {user.is_admin && (
            <NavLink to="/admin/users" className={({ isActive }) => navClass({ isActive: isActive || location.pathname.startsWith('/admin') })} data-testid="admin-link">
              <Icon name="shield" />
              <span>{t('nav.admin')}</span>
            </NavLink>
          )}
        </nav>
        <div className="topbar__end">
          <LanguageSwitch
            onChange={(lang) => {
              updateMe({ preferred_language: lang }).then(setUser, () => undefined);
            }}
          />
          <ThemeSwitch />
          <span className="topbar__user" role="img" title={displayName} aria-label={t('nav.account', { name: displayName })}>
            <span className="avatar" aria-hidden="true">
              {initials(displayName)}
            </span>
          </span>
          <button
            type="button"
            className="icon-btn"
            onClick={() => {
              void signOut().then(() => navigate('/login', { replace: true }));
            }}
            aria-label={t('nav.signOut')}
            title={t('nav.signOut')}
            data-testid="sign-out"
          >
            <Icon name="logout" />
          </button>
        </div>
      </header>
      <ConsentNotice />
      <div className="shell__body">
        <Outlet />
      </div>
    </div>
  );
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (/^\+?\d/.test(name)) return '#';
  return ((words[0]?.[0] ?? '') + (words.length > 1 ? (words[words.length - 1]?.[0] ?? '') : '')).toUpperCase();
}
