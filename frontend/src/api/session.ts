/**
 * Who is signed in, as far as HTTP is concerned.
 *
 * The access token lives only in memory (gone on reload, never readable from
 * storage); the refresh token lives in localStorage so a reload can sign in
 * again silently. Refresh tokens rotate: every refresh stores the new one.
 * A 401 triggers one refresh (shared by all requests waiting on it) and one retry.
 */
import type { TokenPair } from './types';

export const REFRESH_TOKEN_KEY = 'ignacio.refresh_token';

type Listener = () => void;

export interface SessionOptions {
  baseUrl: string;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  fetch?: (request: Request) => Promise<Response>;
}

export interface Session {
  readonly baseUrl: string;
  accessToken(): string | null;
  refreshToken(): string | null;
  hasSession(): boolean;
  /** Store a freshly issued pair (sign-in or refresh). */
  setTokens(pair: Pick<TokenPair, 'access_token' | 'refresh_token'>): void;
  /** Forget both tokens (sign-out, or a refresh the server refused). */
  clear(): void;
  /** Trade the refresh token for a new pair; concurrent callers share one request. */
  refresh(): Promise<TokenPair | null>;
  /** `fetch` with the bearer token, and one silent refresh + retry on 401. */
  fetch(request: Request): Promise<Response>;
  /** Called when the session ends without the user asking (refresh refused). */
  onExpired(listener: Listener): () => void;
}

/** Auth endpoints answer 401 for bad credentials, not stale tokens: never refresh on them. */
function isAuthEndpoint(url: string): boolean {
  return /\/auth\/(request-otp|verify-otp|refresh)(\?|$)/.test(new URL(url, 'http://x').pathname);
}

export function createSession({ baseUrl, storage, fetch: doFetch }: SessionOptions): Session {
  const send = doFetch ?? ((input: Request) => globalThis.fetch(input));
  let access: string | null = null;
  let inflight: Promise<TokenPair | null> | null = null;
  const expiredListeners = new Set<Listener>();

  const readRefresh = (): string | null => {
    try {
      return storage.getItem(REFRESH_TOKEN_KEY);
    } catch {
      return null;
    }
  };

  const session: Session = {
    baseUrl,
    accessToken: () => access,
    refreshToken: readRefresh,
    hasSession: () => access !== null || readRefresh() !== null,

    setTokens(pair) {
      access = pair.access_token;
      storage.setItem(REFRESH_TOKEN_KEY, pair.refresh_token);
    },

    clear() {
      access = null;
      storage.removeItem(REFRESH_TOKEN_KEY);
    },

    refresh() {
      if (inflight) return inflight;
      const first = readRefresh();
      if (!first) return Promise.resolve(null);
      inflight = (async () => {
        let token = first;
        try {
          for (;;) {
            const response = await send(
              new Request(`${baseUrl}/auth/refresh`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
                body: JSON.stringify({ refresh_token: token }),
              }),
            );
            if (response.ok) {
              const pair = (await response.json()) as TokenPair;
              session.setTokens(pair);
              return pair;
            }
            if (response.status !== 401 && response.status !== 403) return null; // 5xx: keep the token, try later
            // Another tab may have rotated the token meanwhile: try once with the one it stored.
            const stored = readRefresh();
            if (stored && stored !== token && token === first) {
              token = stored;
              continue;
            }
            // The server refused the refresh token: the session is over.
            session.clear();
            for (const listener of expiredListeners) listener();
            return null;
          }
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
      if (response.status !== 401 || isAuthEndpoint(request.url) || !readRefresh()) return response;
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

/** The app's one session. */
export const session = createSession({ baseUrl: defaultBaseUrl(), storage: defaultStorage() });
