import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { PageLoader } from '../../components/ui';
import { useI18n } from '../../i18n';
import { useAuth } from '../../lib/auth';

/** Where an admin or mentor sets up the authenticator app their program requires. */
export const ENROLMENT_PATH = '/two-factor';

/**
 * Sends signed-out visitors to /login, remembering where they were going, and a signed-in
 * admin or mentor who must first set up an authenticator app to the enrolment page.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, enrolmentRequired } = useAuth();
  const location = useLocation();
  const { t } = useI18n();
  if (status === 'loading') return <PageLoader label={t('app.loading')} />;
  if (status === 'signed_out') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  if (enrolmentRequired && location.pathname !== ENROLMENT_PATH) return <Navigate to={ENROLMENT_PATH} replace />;
  return <>{children}</>;
}

/** Admin pages: non-admins are sent to the chat (the API refuses them anyway). */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (!user?.is_admin) return <Navigate to="/" replace />;
  return <>{children}</>;
}

/** The staff area (mentors and admins): others are sent to the chat (the API refuses them anyway). */
export function RequireStaff({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (!user?.is_admin && !user?.is_mentor) return <Navigate to="/" replace />;
  return <>{children}</>;
}
