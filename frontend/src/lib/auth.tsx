/**
 * The signed-in user for the whole app. On start it resumes a session from the
 * refresh cookie; it ends the session when the server refuses a refresh.
 *
 * An admin or mentor whose program requires an authenticator app and who has
 * none yet is signed in with `enrolmentRequired`: the server answers only the
 * enrolment routes, and the app shows only the enrolment page.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { logout, resumeSession, verifyOtp, verifySecondFactor, type SignInResult } from '../api/auth';
import { session } from '../api/session';
import type { User } from '../api/types';
import { getMe } from '../api/users';
import { useI18n } from '../i18n';

type Status = 'loading' | 'signed_in' | 'signed_out';

interface AuthValue {
  status: Status;
  user: User | null;
  /** Signed in, but only enrolment of an authenticator app is open until it is done. */
  enrolmentRequired: boolean;
  /** Why the user was signed out, shown once on the sign-in page. */
  notice: 'expired' | null;
  /** The WhatsApp code: signed in, or a second-factor challenge to finish with `completeSecondFactor`. */
  signIn: (phoneNumber: string, code: string) => Promise<SignInResult>;
  completeSecondFactor: (challengeToken: string, code: string) => Promise<void>;
  signOut: () => Promise<void>;
  setUser: (user: User) => void;
  setEnrolmentRequired: (required: boolean) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(() => (session.hasSession() ? 'loading' : 'signed_out'));
  const [user, setUserState] = useState<User | null>(null);
  const [enrolmentRequired, setEnrolmentRequired] = useState(false);
  const [notice, setNotice] = useState<'expired' | null>(null);
  const { setLang } = useI18n();

  const setUser = useCallback(
    (next: User) => {
      setUserState(next);
      setLang(next.preferred_language);
    },
    [setLang],
  );

  const accept = useCallback(
    (result: SignInResult) => {
      if (result.kind !== 'signed_in') return;
      setUser(result.user);
      setEnrolmentRequired(result.enrolmentRequired);
      setNotice(null);
      setStatus('signed_in');
    },
    [setUser],
  );

  useEffect(() => {
    if (!session.hasSession()) return;
    const run = { cancelled: false };
    void (async () => {
      try {
        const grant = await resumeSession();
        if (grant === null) throw new Error('no session');
        // A refresh grant carries the user: no /users/me round trip before the first screen
        // (a phone waits 150 ms or more for each). Only a token already in memory needs it.
        const required = grant !== true && grant.totp_enrolment_required;
        const me = grant === true ? await getMe() : grant.user;
        if (run.cancelled) return;
        setUser(me);
        setEnrolmentRequired(required);
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
        setEnrolmentRequired(false);
        setNotice('expired');
        setStatus('signed_out');
      }),
    [],
  );

  const value = useMemo<AuthValue>(
    () => ({
      status,
      user,
      enrolmentRequired,
      notice,
      setUser,
      setEnrolmentRequired,
      async signIn(phoneNumber, code) {
        const result = await verifyOtp(phoneNumber, code);
        accept(result);
        return result;
      },
      async completeSecondFactor(challengeToken, code) {
        accept(await verifySecondFactor(challengeToken, code));
      },
      async signOut() {
        await logout();
        setUserState(null);
        setEnrolmentRequired(false);
        setStatus('signed_out');
      },
    }),
    [status, user, enrolmentRequired, notice, setUser, accept],
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
