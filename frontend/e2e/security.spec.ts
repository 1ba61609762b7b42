/**
 * Browser-side defences, in Chromium against the real app: the response headers, the CSP
 * refusing an injected inline script, no framing by another origin, and the refresh token in
 * an httpOnly cookie that page script cannot read, shared safely by several tabs.
 * Each test signs in its own seeded participant (the sign-in limits are per number and client).
 */
import { expect, request as playwrightRequest, test, type BrowserContext, type Page } from '@playwright/test';
import { appUrl, capturedCodes, controlUrl, seededUsers, signIn, tinyPdf, type Person } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const REFRESH_COOKIE = 'ignacio_refresh';

type Api = Parameters<typeof seededUsers>[0];
let adminToken: string | null = null;

/** The seeded admin's access token, signed in over the API once for this file. */
async function asAdmin(request: Api): Promise<string> {
  if (adminToken) return adminToken;
  const { security_admin: admin } = await seededUsers(request);
  const before = (await capturedCodes(request, admin.phone)).count;
  expect((await request.post(`${appUrl()}/auth/request-otp`, { data: { phone_number: admin.phone } })).status()).toBe(202);
  let code: string | null = null;
  await expect
    .poll(async () => {
      const captured = await capturedCodes(request, admin.phone);
      code = captured.count > before ? captured.code : null;
      return code;
    })
    .not.toBeNull();
  const verified = await request.post(`${appUrl()}/auth/verify-otp`, { data: { phone_number: admin.phone, code } });
  expect(verified.status()).toBe(200);
  adminToken = ((await verified.json()) as { access_token: string }).access_token;
  return adminToken;
}

/** A participant of this test's own (each signs in within the per-number limits). */
async function person(request: Api, index: number): Promise<Person> {
  const created: Person = { phone: `+3460000011${index}`, name: `Sara Segura ${index}` };
  const response = await request.post(`${appUrl()}/users`, {
    headers: { Authorization: `Bearer ${await asAdmin(request)}` },
    data: { phone_number: created.phone, name: created.name },
  });
  expect(response.status()).toBe(201);
  return created;
}

async function refreshCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === REFRESH_COOKIE)?.value;
}

async function signedIn(page: Page): Promise<void> {
  await expect(page.getByTestId('sign-out')).toBeVisible();
}

/** Another client (no browser, no shared cookie jar) presenting a refresh token. */
async function refreshFromElsewhere(token: string): Promise<number> {
  const other = await playwrightRequest.newContext();
  try {
    const response = await other.post(`${appUrl()}/auth/refresh`, { headers: { cookie: `${REFRESH_COOKIE}=${token}` } });
    return response.status();
  } finally {
    await other.dispose();
  }
}

test('pages, API answers and downloads carry the browser defences', async ({ page, request }) => {
  await page.goto('/');
  const access = await signIn(page, request, await person(request, 0));
  const bearer = { Authorization: `Bearer ${access.access_token}` };
  const upload = await request.post(`${appUrl()}/files/upload`, {
    headers: bearer,
    multipart: { file: { name: 'plan.pdf', mimeType: 'application/pdf', buffer: tinyPdf('Plan') } },
  });
  expect(upload.status()).toBe(201);
  const fileId = ((await upload.json()) as { id: string }).id;

  const answers = {
    root: await request.get(`${appUrl()}/`, { headers: { Accept: 'text/html' } }),
    login: await request.get(`${appUrl()}/login`, { headers: { Accept: 'text/html' } }),
    api: await request.get(`${appUrl()}/users/me`, { headers: bearer }),
    download: await request.get(`${appUrl()}/files/${fileId}/download`, { headers: bearer }),
  };
  for (const [name, response] of Object.entries(answers)) {
    expect(response.status(), name).toBe(200);
    const headers = response.headers();
    expect(headers['x-content-type-options'], name).toBe('nosniff');
    expect(headers['x-frame-options'], name).toBe('DENY');
    expect(headers['referrer-policy'], name).toBe('strict-origin-when-cross-origin');
    expect(headers['cross-origin-opener-policy'], name).toBe('same-origin');
    expect(headers['permissions-policy'], name).toContain('camera=()');
  }
  for (const name of ['root', 'login', 'api'] as const) {
    const csp = answers[name].headers()['content-security-policy'] ?? '';
    expect(csp, name).toContain("script-src 'self'");
    expect(csp, name).toContain("frame-ancestors 'none'");
    expect(csp, name).not.toContain('unsafe-inline');
  }
  expect(answers.root.headers()['content-type']).toContain('text/html');
  expect(answers.download.headers()['content-security-policy']).toBe('sandbox');
  expect(answers.download.headers()['content-disposition']).toMatch(/^attachment/);
});

test('the CSP blocks an injected inline script, and the app uses no inline script itself', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await page.goto('/login');
  await expect(page.getByTestId('phone-input')).toBeVisible();
  expect(violations, 'the app itself triggers no CSP violation').toEqual([]);

  const outcome = await page.evaluate(async () => {
    const fired = new Promise<string>((resolve) => {
      document.addEventListener('securitypolicyviolation', (event) => resolve(event.effectiveDirective), { once: true });
    });
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true;';
    document.body.appendChild(script);
    const directive = await Promise.race([fired, new Promise<string>((resolve) => setTimeout(() => resolve('none'), 3000))]);
    return { directive, ran: (window as unknown as { __injected?: boolean }).__injected === true };
  });
  expect(outcome.directive).toMatch(/^script-src/);
  expect(outcome.ran).toBe(false);
});

test('the app refuses to render inside another origin’s frame', async ({ page }) => {
  // A page on another origin (the control server's port) that frames the app.
  const framer = `${controlUrl()}/framer?src=${encodeURIComponent(`${appUrl()}/login`)}`;
  const appResponse = page.waitForResponse((r) => r.url() === `${appUrl()}/login`);
  await page.goto(framer);
  // The app answered the frame's request, with headers that forbid framing...
  const headers = (await appResponse).headers();
  expect(headers['x-frame-options']).toBe('DENY');
  // ...so Chromium replaces the frame with its error page and the app never renders.
  await expect
    .poll(() => page.frames().find((f) => f !== page.mainFrame())?.url(), { message: 'the framed app is blocked' })
    .toMatch(/^chrome-error:/);
  await expect(page.frameLocator('#app').getByTestId('phone-input')).toHaveCount(0);
});

test('the refresh token is an httpOnly cookie page script cannot read; refresh and sign-out use it', async ({ page, context, request }) => {
  await page.goto('/');
  const verified = page.waitForResponse((r) => r.url().endsWith('/auth/verify-otp'));
  await signIn(page, request, await person(request, 1));
  const body = (await (await verified).json()) as Record<string, unknown>;
  expect(body).not.toHaveProperty('refresh_token');

  const cookie = (await context.cookies()).find((c) => c.name === REFRESH_COOKIE);
  expect(cookie).toBeDefined();
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Strict');
  expect(cookie?.path).toBe('/auth');
  const token = cookie?.value ?? '';
  expect(token.length).toBeGreaterThan(30);

  const visible = await page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k) ?? ''}`).join('\n'),
    session: Object.keys(sessionStorage).map((k) => `${k}=${sessionStorage.getItem(k) ?? ''}`).join('\n'),
  }));
  expect(visible.cookie).not.toContain(token);
  expect(visible.cookie).not.toContain(REFRESH_COOKIE);
  expect(visible.local).not.toContain(token);
  expect(visible.session).not.toContain(token);

  // A reload forgets the in-memory access token: the cookie signs the tab in again (and rotates).
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/auth/refresh'));
  await page.reload();
  expect((await refreshed).status()).toBe(200);
  await signedIn(page);
  const rotated = await refreshCookie(context);
  expect(rotated).toBeDefined();
  expect(rotated).not.toBe(token);

  // Sign-out ends the session on the server and removes the cookie.
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await refreshCookie(context)).toBeUndefined();
  expect(await refreshFromElsewhere(rotated ?? '')).toBe(401);
  await page.reload();
  await expect(page.getByTestId('phone-input')).toBeVisible();
});

test('two tabs opened at once and a third later stay signed in across refreshes; a replay from elsewhere still ends the session', async ({ page, context, request }) => {
  test.setTimeout(180_000); // four tabs reloading three times: slow on a loaded machine
  await page.goto('/');
  await signIn(page, request, await person(request, 2));
  const firstToken = await refreshCookie(context);

  // Two new tabs at the same moment: both start by refreshing with the same cookie.
  const [second, third] = [await context.newPage(), await context.newPage()];
  await Promise.all([second.goto('/'), third.goto('/')]);
  await Promise.all([signedIn(second), signedIn(third)]);
  const later = await context.newPage();
  await later.goto('/');
  await signedIn(later);

  const tabs = [page, second, third, later];
  for (let round = 0; round < 3; round++) {
    await Promise.all(tabs.map((tab) => tab.reload()));
    await Promise.all(tabs.map((tab) => signedIn(tab)));
  }
  const current = await refreshCookie(context);
  expect(current).not.toBe(firstToken);

  // Someone else presents the token from before all those rotations: that is a stolen copy.
  expect(await refreshFromElsewhere(firstToken ?? '')).toBe(401);
  await page.reload();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('phone-input')).toBeVisible();
  expect(await refreshFromElsewhere(current ?? '')).toBe(401);
});

test('a participant ends another device’s session from the profile page, then signs out everywhere', async ({ browser, page, request }) => {
  const me = await person(request, 3);
  await page.goto('/');
  await signIn(page, request, me);

  const android = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
  const phoneContext = await browser.newContext({ baseURL: appUrl(), userAgent: android });
  const phone = await phoneContext.newPage();
  await phone.goto('/');
  await signIn(phone, request, me);

  await page.goto('/profile');
  const devices = page.getByTestId('signed-in-devices').getByTestId('device');
  await expect(devices).toHaveCount(2);
  const other = devices.filter({ hasText: 'Chrome on Android' });
  await expect(other).toHaveCount(1);
  await expect(devices.filter({ has: page.getByTestId('revoke-device') })).toHaveCount(1); // not this one
  await other.getByTestId('revoke-device').click();
  await page.getByTestId('confirm-button').click();
  await expect(devices).toHaveCount(1);

  await phone.reload();
  await expect(phone).toHaveURL(/\/login$/);
  await page.reload();
  await signedIn(page);

  await page.getByTestId('sign-out-everywhere').click();
  await page.getByTestId('confirm-button').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.reload();
  await expect(page).toHaveURL(/\/login$/); // no refresh cookie left that still works
  await phoneContext.close();
});
