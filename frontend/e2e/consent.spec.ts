/**
 * The consent notice on the first web sign-in: it says what is stored and how to get it or have
 * it deleted, stays until the participant dismisses it, and is not shown again after that.
 */
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

test('the first sign-in shows the consent notice until it is dismissed, then never again', async ({ page, request }) => {
  const { consent_participant: participant } = await seededUsers(request);
  await page.goto('/');
  await signIn(page, request, participant);
  const notice = page.getByTestId('consent-notice');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText(/Tus datos en Ignacio/);
  await expect(notice).toContainText(/descargarlo todo\s+desde tu perfil/);
  // The server's 🔒 (for WhatsApp) is drawn as an icon: without an emoji font it would be a box.
  await expect(notice).toContainText(/^Tus datos en IgnacioAntes de seguir/);
  await expect(notice.locator('svg.icon').first()).toBeVisible();
  await expectAccessible(page, 'consent notice');
  await page.evaluate(() => window.scrollTo(0, 0)); // axe's contrast checks scroll the page
  await docShot(page, 'consent-notice');

  // Still there on another page until dismissed.
  await page.goto('/profile');
  await expect(notice).toBeVisible();
  const recorded = page.waitForResponse((r) => r.url().endsWith('/users/me/consent') && r.request().method() === 'POST');
  await notice.getByRole('button', { name: /^(Entendido|Got it)$/ }).click();
  const body = (await (await recorded).json()) as { show: boolean; acknowledged_at: string | null; language: string };
  expect(body.show).toBe(false);
  expect(body.language).toBe('es');
  expect(body.acknowledged_at).not.toBeNull();
  await expect(notice).toHaveCount(0);

  await page.reload();
  await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
  await expect(page.getByTestId('consent-notice')).toHaveCount(0);
});
