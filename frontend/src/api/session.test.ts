import { describe, expect, it, vi } from 'vitest';
import { createSession, REFRESH_TOKEN_KEY } from './session';

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

const pair = (n: number) => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  token_type: 'bearer',
  expires_in: 900,
  user: {},
});

/** A fake server: /users/me accepts only the current access token; /auth/refresh rotates. */
function fakeServer(options: { refreshStatus?: number } = {}) {
  let valid = 'access-1';
  let issued = 1;
  const calls: { url: string; auth: string | null; body: string | null }[] = [];
  const fetch = vi.fn(async (request: Request) => {
    const url = new URL(request.url).pathname;
    const body = request.method === 'POST' ? await request.text() : null;
    calls.push({ url, auth: request.headers.get('Authorization'), body });
    if (url === '/auth/refresh') {
      if (options.refreshStatus) return json(options.refreshStatus, { error: { code: 'invalid_token', message: 'no' } });
      issued++;
      valid = `access-${issued}`;
      return json(200, pair(issued));
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
  it('sends the access token and stores the refresh token in storage only', () => {
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: vi.fn() });
    session.setTokens(pair(1));
    expect(session.accessToken()).toBe('access-1');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('refresh-1');
    expect([...storage.map.values()]).not.toContain('access-1');
  });

  it('refreshes once on 401, stores the rotated refresh token and retries the request with its body', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    session.setTokens(pair(1));
    server.expire();

    const response = await session.fetch(new Request(`${BASE}/users/me`, { method: 'POST', body: '{"name":"Ana"}' }));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: '{"name":"Ana"}' });
    expect(server.calls.map((c) => c.url)).toEqual(['/users/me', '/auth/refresh', '/users/me']);
    expect(server.calls[1]?.body).toBe(JSON.stringify({ refresh_token: 'refresh-1' }));
    expect(server.calls[2]?.auth).toBe('Bearer access-2');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('refresh-2');
    expect(session.accessToken()).toBe('access-2');
  });

  it('shares one refresh between concurrent requests that all got 401', async () => {
    const server = fakeServer();
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch: server.fetch });
    session.setTokens(pair(1));
    server.expire();

    const responses = await Promise.all([1, 2, 3].map(() => session.fetch(new Request(`${BASE}/users/me`))));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(1);
  });

  it('ends the session when the refresh token is refused, and does not loop', async () => {
    const server = fakeServer({ refreshStatus: 401 });
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    const expired = vi.fn();
    session.onExpired(expired);
    session.setTokens(pair(1));
    server.expire();

    const response = await session.fetch(new Request(`${BASE}/users/me`));

    expect(response.status).toBe(401);
    expect(server.calls.map((c) => c.url)).toEqual(['/users/me', '/auth/refresh']);
    expect(expired).toHaveBeenCalledOnce();
    expect(session.accessToken()).toBeNull();
    expect(storage.map.has(REFRESH_TOKEN_KEY)).toBe(false);
  });

  it('keeps the refresh token when the refresh fails for a server error', async () => {
    const server = fakeServer({ refreshStatus: 503 });
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    session.setTokens(pair(1));
    server.expire();

    expect((await session.fetch(new Request(`${BASE}/users/me`))).status).toBe(401);
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('refresh-1');
  });

  it('never refreshes on a 401 from the sign-in endpoints (a wrong code is not an expired token)', async () => {
    const fetch = vi.fn(() => Promise.resolve(json(401, { error: { code: 'invalid_code', message: 'no' } })));
    const session = createSession({ baseUrl: BASE, storage: memoryStorage(), fetch });
    session.setTokens(pair(1));

    const response = await session.fetch(new Request(`${BASE}/auth/verify-otp`, { method: 'POST', body: '{}' }));

    expect(response.status).toBe(401);
    expect(fetch).toHaveBeenCalledOnce();
  });

  it('resumes a session from a stored refresh token after a reload', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    storage.setItem(REFRESH_TOKEN_KEY, 'refresh-1');
    const session = createSession({ baseUrl: BASE, storage, fetch: server.fetch });
    expect(session.accessToken()).toBeNull();
    expect(session.hasSession()).toBe(true);

    const refreshed = await session.refresh();

    expect(refreshed?.access_token).toBe('access-2');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('refresh-2');
  });

  it('clear() forgets both tokens', () => {
    const storage = memoryStorage();
    const session = createSession({ baseUrl: BASE, storage, fetch: vi.fn() });
    session.setTokens(pair(1));
    session.clear();
    expect(session.accessToken()).toBeNull();
    expect(session.hasSession()).toBe(false);
  });
});

describe('session across tabs', () => {
  it('retries with the refresh token another tab stored before giving up', async () => {
    const storage = memoryStorage();
    const calls: string[] = [];
    const fetch = vi.fn(async (request: Request) => {
      const { refresh_token } = (await request.json()) as { refresh_token: string };
      calls.push(refresh_token);
      if (refresh_token === 'refresh-1') {
        storage.setItem(REFRESH_TOKEN_KEY, 'refresh-2'); // the other tab won the race
        return json(401, { error: { code: 'invalid_token', message: 'used' } });
      }
      return json(200, pair(3));
    });
    const session = createSession({ baseUrl: BASE, storage, fetch });
    storage.setItem(REFRESH_TOKEN_KEY, 'refresh-1');

    const refreshed = await session.refresh();

    expect(calls).toEqual(['refresh-1', 'refresh-2']);
    expect(refreshed?.access_token).toBe('access-3');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('refresh-3');
  });
});
