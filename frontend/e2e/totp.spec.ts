/**
 * Two-step sign-in in Chromium against the real app: an admin sets up an authenticator app
 * from the profile page (the test is the app: it reads the setup key from the page and
 * computes RFC 6238 codes with node's HMAC-SHA1), saves the recovery codes, signs out, and
 * signs in again with the WhatsApp code and then the app's code.
 */
import { expect, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { expectAccessible } from './a11y';
import { appUrl, capturedCodes, docShot, nextCode, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The 6-digit TOTP code (RFC 6238: HMAC-SHA1, 30-second steps) of `secret` at `ms`. */
function totp(secret: string, ms: number): string {
  const bits = secret
    .replace(/[\s=]/g, '')
    .toUpperCase()
    .replace(/./g, (c) => BASE32.indexOf(c).toString(2).padStart(5, '0'));
  const key = Buffer.from(bits.match(/.{8}/g)?.map((byte) => parseInt(byte, 2)) ?? []);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac.at(-1) ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('an admin sets up an authenticator app and then signs in with its code', async ({ page, request }) => {
  const { totp_admin: admin } = await seededUsers(request);
  await page.goto(appUrl());
  await signIn(page, request, admin);

  await page.goto('/profile');
  const section = page.getByTestId('two-step');
  await expect(section.getByTestId('totp-state')).toContainText('Desactivada');
  await section.getByTestId('totp-start').click();
  const key = section.getByTestId('totp-secret');
  await expect(key).toBeVisible();
  await expect(section.getByRole('img', { name: 'Código QR que añade Ignacio a una app de autenticación' })).toBeVisible();
  const secret = ((await key.textContent()) ?? '').replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await section.scrollIntoViewIfNeeded();
  await docShot(section, 'totp-enrolment');
  await expectAccessible(page, 'two-step enrolment');

  // A wrong code is refused in words, and the right one turns it on.
  await section.getByTestId('totp-confirm-code').fill(totp(secret, Date.now() - 10 * 60_000));
  await section.getByTestId('totp-confirm-submit').click();
  await expect(section.getByRole('alert')).toContainText('no es válido');
  await section.getByTestId('totp-confirm-code').fill(totp(secret, Date.now()));
  await section.getByTestId('totp-confirm-submit').click();
  const codes = section.getByTestId('recovery-code');
  await expect(codes).toHaveCount(10);
  await expect(codes.first()).toHaveText(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await expectAccessible(page, 'recovery codes shown once');
  const download = page.waitForEvent('download');
  await section.getByTestId('download-recovery-codes').click();
  expect((await download).suggestedFilename()).toBe('ignacio-recovery-codes.txt');
  await section.getByTestId('recovery-codes-saved').click();
  await expect(section.getByTestId('totp-state')).toContainText('Activada');
  await expect(section.getByTestId('recovery-code')).toHaveCount(0); // shown once

  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('phone-input')).toBeVisible();

  // Again: the WhatsApp code alone is not enough any more.
  const before = (await capturedCodes(request, admin.phone)).count;
  await page.getByTestId('phone-input').fill(admin.phone);
  await page.getByTestId('request-code').click();
  await page.getByTestId('code-input').fill(await nextCode(request, admin.phone, before));
  await page.getByTestId('verify-code').click();
  const second = page.getByTestId('second-factor-form');
  await expect(second).toBeVisible();
  await expect(page.getByTestId('sign-out')).toHaveCount(0);
  await expectAccessible(page, 'second sign-in step');
  // The confirming code's step is spent: the app's next code signs in.
  await page.getByTestId('second-factor-input').fill(totp(secret, Date.now() + 30_000));
  await page.getByTestId('second-factor-submit').click();
  await expect(page.getByTestId('sign-out')).toBeVisible();
  await page.goto('/profile');
  await expect(page.getByTestId('two-step').getByTestId('totp-state')).toContainText('Activada');
});
