/**
 * The signed-in user for the whole app. On start it resumes a session from the
 * refresh cookie; it ends the session when the server refuses a refresh.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { logout, resumeSession, verifyOtp } from '../../api/auth';
import { session } from '../../api/session';
import type { User } from '../../api/types';
import { getMe } from '../../api/users';
import { useI18n } from '../../i18n';

type Status = 'loading' | 'signed_in' | 'signed_out';

interface AuthValue {
  status: Status;
  user: User | null;
  /** Why the user was signed out, shown once on the sign-in page. */
  notice: 'expired' | null;
  signIn: (phoneNumber: string, code: string) => Promise<User>;
  signOut: () => Promise<void>;
  setUser: (user: User) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(() => (session.hasSession() ? 'loading' : 'signed_out'));
  const [user, setUserState] = useState<User | null>(null);
  const [notice, setNotice] = useState<'expired' | null>(null);
  const { setLang } = useI18n();

  const setUser = useCallback(
    (next: User) => {
      setUserState(next);
      setLang(next.preferred_language);
    },
    [setLang],
  );

  useEffect(() => {
    if (!session.hasSession()) return;
    const run = { cancelled: false };
    void (async () => {
      try {
        if (!(await resumeSession())) throw new Error('no session');
        const me = await getMe();
        if (run.cancelled) return;
        setUser(me);
        setStatus('signed_in');
      } catch {
        if (run.cancelled) return;
        setStatus('signed_out');
      }
    })();
    return () => {
      run.cancelled = true;
    };
  }, [setUser]);

  useEffect(
    () =>
      session.onExpired(() => {
        setUserState(null);
        setNotice('expired');
        setStatus('signed_out');
      }),
    [],
  );

  const value = useMemo<AuthValue>(
    () => ({
      status,
      user,
      notice,
      setUser,
      async signIn(phoneNumber, code) {
        const signedIn = await verifyOtp(phoneNumber, code);
        setUser(signedIn);
        setNotice(null);
        setStatus('signed_in');
        return signedIn;
      },
      async signOut() {
        await logout();
        setUserState(null);
        setStatus('signed_out');
      },
    }),
    [status, user, notice, setUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}

/** The signed-in user; only for components under RequireAuth. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
