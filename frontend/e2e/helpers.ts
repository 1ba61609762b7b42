/** What the browser tests share: the seeded people, signing in with a captured code, a tiny PDF. */
import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir, repoDir } from './server';

export const appUrl = (): string => required('IGNACIO_E2E_APP');
export const controlUrl = (): string => required('IGNACIO_E2E_CONTROL');
/** The second API process (same database), for what must work across processes. */
export const app2Url = (): string => required('IGNACIO_E2E_APP2');

/** A WhatsApp text from `phone`, posted (signed, as Meta would) to the first API process. */
export async function whatsappMessage(request: APIRequestContext, phone: string, text: string): Promise<void> {
  const response = await request.post(`${controlUrl()}/whatsapp`, { data: { phone, text } });
  expect(response.ok()).toBe(true);
  expect(((await response.json()) as { status: number }).status).toBe(200);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`npm run test:e2e\``);
  return value;
}

/** Where a test reads sign-in codes: the fake Graph API, or the fresh server's console. */
export type CodeSource = 'graph' | 'console';

/** The fresh server's log lines that report a failure (its job worker's included). */
export async function freshLogErrors(request: APIRequestContext): Promise<{ lines: number; errors: string[] }> {
  const response = await request.get(`${controlUrl()}/fresh/log-errors`);
  expect(response.ok()).toBe(true);
  return (await response.json()) as { lines: number; errors: string[] };
}

export interface Person {
  phone: string;
  name: string;
}

/** What verify-otp answers: the access token (the refresh token is an httpOnly cookie). */
export interface AccessToken {
  access_token: string;
  user: { id: string; name: string | null; is_admin: boolean };
}

/**
 * The people tests/e2e/serve.py seeded: the shared admin and participant (with an earlier
 * WhatsApp conversation), and one person for each spec that signs in on its own, so no spec
 * runs into another's per-number sign-in limit or sees its conversations.
 */
export interface SeededPeople {
  admin: Person;
  participant: Person;
  search_admin: Person;
  search_participant: Person;
  theme_participant: Person;
  security_admin: Person;
  cohorts_admin: Person;
  cohorts_participant: Person;
  search_self: Person;
  audit_admin: Person;
  audit_participant: Person;
  export_admin: Person;
  /** The fresh server's first admin (`ignacio create-admin`); its codes are on that server's console. */
  simulator_admin: Person;
  /** Enrolled on the fresh server by the simulator spec, through the admin UI. */
  simulator_participant: Person;
  consent_participant: Person;
  /** The mentoring spec: a mentor assigned to the participant, and an admin who promotes. */
  mentor_mentor: Person;
  mentor_admin: Person;
  mentor_participant: Person;
  import_admin: Person;
  totp_admin: Person;
  /** The users page's confirmations: an admin, and the participant whose role and access change. */
  users_admin: Person;
  users_participant: Person;
}

export async function seededUsers(request: APIRequestContext): Promise<SeededPeople> {
  const response = await request.get(`${controlUrl()}/users`);
  expect(response.ok()).toBe(true);
  return (await response.json()) as SeededPeople;
}

/**
 * How many codes reached this number, and the last one: delivered to the fake Graph API, or
 * (`console`) printed on the fresh server's console, where a newcomer without WhatsApp reads them.
 */
export async function capturedCodes(request: APIRequestContext, phone: string, from: CodeSource = 'graph'): Promise<{ code: string | null; count: number }> {
  const response = await request.get(`${controlUrl()}${from === 'console' ? '/fresh/otp' : '/otp'}`, { params: { phone } });
  if (response.status() === 404) return { code: null, count: 0 };
  expect(response.ok()).toBe(true);
  return (await response.json()) as { code: string; count: number };
}

/**
 * The sign-in code sent to `phone` after `before` codes had been (`capturedCodes(...).count`
 * taken before asking): waits until it arrives.
 */
export async function nextCode(request: APIRequestContext, phone: string, before: number, from: CodeSource = 'graph'): Promise<string> {
  const arrived: { code: string | null } = { code: null };
  await expect
    .poll(async () => {
      const captured = await capturedCodes(request, phone, from);
      arrived.code = captured.count > before ? captured.code : null;
      return arrived.code;
    }, { message: `a sign-in code for ${phone} reaches ${from === 'console' ? 'the server console' : 'the fake Graph API'}`, timeout: 15_000 })
    .not.toBeNull();
  return arrived.code ?? '';
}

/**
 * Signs in through the UI as a person would: the number, then the code that arrived on
 * "their phone" (the fake Graph API). Returns the access token the app received.
 */
export async function signIn(page: Page, request: APIRequestContext, person: Person, from: CodeSource = 'graph'): Promise<AccessToken> {
  const before = (await capturedCodes(request, person.phone, from)).count;
  await expect(page.getByTestId('phone-input')).toBeVisible();
  await page.getByTestId('phone-input').fill(person.phone);
  await page.getByTestId('request-code').click();
  await expect(page.getByTestId('code-input')).toBeVisible();

  const code = await nextCode(request, person.phone, before, from);
  await page.getByTestId('code-input').fill(code);
  const verified = page.waitForResponse((r) => r.url().endsWith('/auth/verify-otp') && r.request().method() === 'POST');
  await page.getByTestId('verify-code').click();
  const response = await verified;
  expect(response.status()).toBe(200);
  await expect(page.getByTestId('sign-out')).toBeVisible();
  return (await response.json()) as AccessToken;
}

/** A small, valid one-page PDF (with a correct cross-reference table) that says `text`. */
export function tinyPdf(text: string): Buffer {
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = `BT /F1 18 Tf 36 96 Td (${escaped}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 160] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Saves a screenshot of a page or one element under frontend/e2e-artifacts/ (ignored by git). */
export async function snap(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  if ('goto' in target) await target.screenshot({ path, fullPage: options.fullPage ?? false, animations: 'disabled' });
  else await target.screenshot({ path, animations: 'disabled' });
}

/** Saves a screenshot the documentation shows, under docs/screenshots/ (committed, refreshed by each run). */
export async function docShot(target: Page | Locator, name: string): Promise<void> {
  const dir = join(repoDir, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await target.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled' });
}

/**
 * Records, from the first paint, every text the streaming answer showed, so a test can tell
 * that the answer grew on screen while it arrived (not only that it ended up there).
 */
export async function recordStreaming(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __streamed: string[] }).__streamed = seen;
    const look = () => {
      const node = document.querySelector('[data-testid="streaming-message"]');
      const text = node?.textContent ?? '';
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/**
 * Runs `action` on a slow connection. The offline model answers in a few milliseconds, so on
 * loopback the whole event stream can land in one read and the browser would paint only the
 * final answer; a slow link spreads the same bytes over time, as a phone on a real network would.
 */
export async function onSlowNetwork<T>(page: Page, bytesPerSecond: number, action: () => Promise<T>): Promise<T> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: -1 });
  try {
    return await action();
  } finally {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
}

export async function streamedFrames(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __streamed?: string[] }).__streamed ?? []);
}
