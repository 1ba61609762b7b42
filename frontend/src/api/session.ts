/**
 * Who is signed in, as far as HTTP is concerned.
 *
 * The access token lives only in memory (gone on reload). The refresh token is
 * an httpOnly cookie the server sets on `/auth`: page script can never read it,
 * so an injected script could not carry it away. What storage keeps is only a
 * hint that a session may exist (so an anonymous visit does not start with a
 * refresh that is bound to fail); it is not a secret.
 *
 * Refresh tokens rotate on every refresh, and tabs share the cookie, so tabs
 * must not refresh with the same token at once: a Web Lock makes one tab
 * refresh at a time across the browser (the server also tolerates the token it
 * rotated a moment ago, for browsers without Web Locks). Within a tab, a 401
 * triggers one refresh shared by every request waiting on it, and one retry.
 */
import type { AccessToken } from './types';

export const SESSION_HINT_KEY = 'ignacio.session';
const REFRESH_LOCK = 'ignacio.refresh';

type Listener = () => void;

/** The part of the Web Locks API used here (absent in older browsers and in jsdom). */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface SessionOptions {
  baseUrl: string;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  fetch?: (request: Request) => Promise<Response>;
  locks?: LockManagerLike | null;
}

export interface Session {
  readonly baseUrl: string;
  accessToken(): string | null;
  /** Whether a session may exist (signed in here, or a refresh cookie from before). */
  hasSession(): boolean;
  /** Keep a freshly issued access token (sign-in or refresh). */
  setAccess(grant: Pick<AccessToken, 'access_token'>): void;
  /** Forget the access token and the hint (sign-out, or a refresh the server refused). */
  clear(): void;
  /** Trade the refresh cookie for a new access token; concurrent callers share one request. */
  refresh(): Promise<AccessToken | null>;
  /** `fetch` with the bearer token, and one silent refresh + retry on 401. */
  fetch(request: Request): Promise<Response>;
  /** Called when the session ends without the user asking (refresh refused). */
  onExpired(listener: Listener): () => void;
}

/** Auth endpoints answer 401 for bad credentials, not stale tokens: never refresh on them. */
function isAuthEndpoint(url: string): boolean {
  return /\/auth\/(request-otp|verify-otp|second-factor|refresh)(\?|$)/.test(new URL(url, 'http://x').pathname);
}

export function createSession({ baseUrl, storage, fetch: doFetch, locks }: SessionOptions): Session {
  const send = doFetch ?? ((input: Request) => globalThis.fetch(input));
  const exclusive = <T,>(work: () => Promise<T>): Promise<T> => (locks ? locks.request(REFRESH_LOCK, work) : work());
  let access: string | null = null;
  let inflight: Promise<AccessToken | null> | null = null;
  const expiredListeners = new Set<Listener>();

  const hinted = (): boolean => {
    try {
      return storage.getItem(SESSION_HINT_KEY) === '1';
    } catch {
      return false;
    }
  };
  const setHint = (on: boolean): void => {
    try {
      if (on) storage.setItem(SESSION_HINT_KEY, '1');
      else storage.removeItem(SESSION_HINT_KEY);
    } catch {
      // storage unavailable (private mode): the hint is an optimisation only
    }
  };

  const refreshOnce = async (): Promise<AccessToken | null> => {
    const response = await send(
      new Request(`${baseUrl}/auth/refresh`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      }),
    );
    if (response.ok) {
      const grant = (await response.json()) as AccessToken;
      session.setAccess(grant);
      return grant;
    }
    if (response.status !== 401) return null; // 5xx, 429: keep the session, try later
    // The server refused the refresh cookie: the session is over.
    session.clear();
    for (const listener of expiredListeners) listener();
    return null;
  };

  const session: Session = {
    baseUrl,
    accessToken: () => access,
    hasSession: () => access !== null || hinted(),

    setAccess(grant) {
      access = grant.access_token;
      setHint(true);
    },

    clear() {
      access = null;
      setHint(false);
    },

    refresh() {
      if (inflight) return inflight;
      inflight = (async () => {
        try {
          return await exclusive(refreshOnce);
        } catch {
          return null;
        } finally {
          inflight = null;
        }
      })();
      return inflight;
    },

    async fetch(request) {
      const retry = request.clone();
      const usedToken = access;
      const response = await send(withBearer(request, usedToken));
      if (response.status !== 401 || isAuthEndpoint(request.url) || !session.hasSession()) return response;
      // Another request may already have refreshed while this one was in flight.
      const fresh = access !== null && access !== usedToken ? access : (await session.refresh())?.access_token;
      if (!fresh) return response;
      return send(withBearer(retry, fresh));
    },

    onExpired(listener) {
      expiredListeners.add(listener);
      return () => expiredListeners.delete(listener);
    },
  };
  return session;
}

function withBearer(request: Request, token: string | null): Request {
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

function defaultBaseUrl(): string {
  const configured = (import.meta.env.VITE_API_BASE as string | undefined) ?? '';
  const base = configured || (typeof window !== 'undefined' ? window.location.origin : 'http://localhost');
  return base.replace(/\/$/, '');
}

function defaultStorage(): SessionOptions['storage'] {
  try {
    return window.localStorage;
  } catch {
    const memory = new Map<string, string>();
    return {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => void memory.set(key, value),
      removeItem: (key) => void memory.delete(key),
    };
  }
}

function defaultLocks(): LockManagerLike | null {
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
}

/** The app's one session. */
export const session = createSession({ baseUrl: defaultBaseUrl(), storage: defaultStorage(), locks: defaultLocks() });
