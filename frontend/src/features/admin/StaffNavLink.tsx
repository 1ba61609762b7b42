/** The top bar's way into the staff area, with how many items wait in the queue. */
import { NavLink, useLocation } from 'react-router';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { useUser } from '../../lib/auth';
import { useQueueCounts } from './staffCounts';

export function StaffNavLink({ className }: { className: (state: { isActive: boolean }) => string }) {
  const { t } = useI18n();
  const user = useUser();
  const staff = user.is_admin || user.is_mentor;
  const counts = useQueueCounts(staff);
  const location = useLocation();
  if (!staff) return null;
  const total = counts.data?.total ?? 0;
  return (
    <NavLink to="/staff/queue" className={() => className({ isActive: location.pathname.startsWith('/staff') })} data-testid="staff-link">
      <Icon name="users" />
      <span>{t('nav.staff')}</span>
      {total > 0 && (
        <span className="count-badge" data-testid="staff-link-count" aria-label={t('staff.openItems', { count: total })}>
          {total}
        </span>
      )}
    </NavLink>
  );
}
