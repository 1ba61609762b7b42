import { describe, expect, it, vi } from 'vitest';
import { createSession, SESSION_HINT_KEY, type LockManagerLike } from './session';

const BASE = 'http://api.test';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const grant = (n: number) => ({ access_token: `access-${n}`, token_type: 'bearer' as const, expires_in: 900, user: {} });

/** A fake server: /users/me accepts only the current access token; /auth/refresh issues a new one. */
function fakeServer(options: { refreshStatus?: number } = {}) {
  let valid = 'access-1';
  let issued = 1;
  const calls: { url: string; auth: string | null; body: string | null; credentials: RequestCredentials }[] = [];
  const fetch = vi.fn(async (request: Request) => {
    const url = new URL(request.url).pathname;
    const body = request.method === 'POST' ? await request.text() : null;
    calls.push({ url, auth: request.headers.get('Authorization'), body, credentials: request.credentials });
    if (url === '/auth/refresh') {
      if (options.refreshStatus) return json(options.refreshStatus, { error: { code: 'invalid_refresh_token', message: 'no' } });
      issued++;
      valid = `access-${issued}`;
      return json(200, grant(issued));
    }
    if (request.headers.get('Authorization') === `Bearer ${valid}`) return json(200, { ok: true, body });
    return json(401, { error: { code: 'unauthorized', message: 'expired' } });
  });
  return {
    fetch,
    calls,
    expire: () => {
      valid = 'nothing';
    },
  };
}

describe('session token handling', () => {
  it('keeps the access token in memory and only a non-secret hint in storage', () => {
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: vi.fn() });
    session.setAccess(grant(1));
    expect(session.accessToken()).toBe('access-1');
    expect([...storage.map.entries()]).toEqual([[SESSION_HINT_KEY, '1']]);
  });

  it('refreshes once on 401 with the cookie (no token in the body) and retries the request with its body', async () => {
    const server = fakeServer();
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch: server.fetch });
    session.setAccess(grant(1));
    server.expire();

    const response = await session.fetch(new Request(`${BASE}/users/me`, { method: 'POST', body: '{"name":"Ana"}' }));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: '{"name":"Ana"}' });
    expect(server.calls.map((c) => c.url)).toEqual(['/users/me', '/auth/refresh', '/users/me']);
    expect(server.calls[1]?.body).toBe('');
    expect(server.calls[1]?.credentials).toBe('same-origin');
    expect(server.calls[2]?.auth).toBe('Bearer access-2');
    expect(session.accessToken()).toBe('access-2');
  });

  it('shares one refresh between concurrent requests that all got 401', async () => {
    const server = fakeServer();
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch: server.fetch });
    session.setAccess(grant(1));
    server.expire();

    const responses = await Promise.all([1, 2, 3].map(() => session.fetch(new Request(`${BASE}/users/me`))));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(1);
  });

  it('ends the session when the refresh is refused, and does not loop', async () => {
    const server = fakeServer({ refreshStatus: 401 });
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    const expired = vi.fn();
    session.onExpired(expired);
    session.setAccess(grant(1));
    server.expire();

    const response = await session.fetch(new Request(`${BASE}/users/me`));

    expect(response.status).toBe(401);
    expect(server.calls.map((c) => c.url)).toEqual(['/users/me', '/auth/refresh']);
    expect(expired).toHaveBeenCalledOnce();
    expect(session.accessToken()).toBeNull();
    expect(session.hasSession()).toBe(false);
  });

  it('keeps the session when the refresh fails for a server error', async () => {
    const server = fakeServer({ refreshStatus: 503 });
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch: server.fetch });
    session.setAccess(grant(1));
    server.expire();

    expect((await session.fetch(new Request(`${BASE}/users/me`))).status).toBe(401);
    expect(session.hasSession()).toBe(true);
  });

  it('never refreshes on a 401 from the sign-in endpoints (a wrong code is not an expired token)', async () => {
    const fetch = vi.fn(() => Promise.resolve(json(401, { error: { code: 'invalid_code', message: 'no' } })));
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch });
    session.setAccess(grant(1));

    const response = await session.fetch(new Request(`${BASE}/auth/verify-otp`, { method: 'POST', body: '{}' }));

    expect(response.status).toBe(401);
    expect(fetch).toHaveBeenCalledOnce();
  });

  it('resumes a session from the cookie after a reload', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    storage.setItem(SESSION_HINT_KEY, '1');
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    expect(session.accessToken()).toBeNull();
    expect(session.hasSession()).toBe(true);

    expect((await session.refresh())?.access_token).toBe('access-2');
  });

  it('clear() forgets the access token and the hint', () => {
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch: vi.fn() });
    session.setAccess(grant(1));
    session.clear();
    expect(session.accessToken()).toBeNull();
    expect(session.hasSession()).toBe(false);
  });
});

describe('session across tabs', () => {
  /** A Web Locks stand-in shared by the "tabs": one holder at a time, in request order. */
  function sharedLocks(): LockManagerLike {
    let tail: Promise<unknown> = Promise.resolve();
    return {
      request<T>(_name: string, callback: () => Promise<T>): Promise<T> {
        const run = tail.then(callback, callback);
        tail = run.catch(() => undefined);
        return run;
      },
    };
  }

  it('tabs refresh one at a time, never two with the same cookie at once', async () => {
    let active = 0;
    let overlapped = false;
    let issued = 0;
    const fetch = vi.fn(async () => {
      active++;
      if (active > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      issued++;
      return json(200, grant(issued));
    });
    const locks = sharedLocks();
    const tabs = [1, 2, 3].map(() => createSession({ baseUrl: BASE, storage: memoryStorage(), fetch, locks }));

    const grants = await Promise.all(tabs.map((tab) => tab.refresh()));

    expect(overlapped).toBe(false);
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(new Set(grants.map((g) => g?.access_token)).size).toBe(3);
  });
});
