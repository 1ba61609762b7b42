/**
 * Dark mode, tab titles and focus: the theme follows the system until the participant picks
 * one, the pick survives a reload, every page has its own title, and focus comes back after
 * the phone drawer closes.
 */
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, seededUsers, signIn, snap } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const themeOf = (page: import('@playwright/test').Page) => page.evaluate(() => document.documentElement.dataset.theme);

test('the theme follows the system, the toggle overrides it and is kept; pages have their own titles', async ({ page, request }) => {
  const { theme_participant: participant } = await seededUsers(request);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/login');
  await expect(page).toHaveTitle('Entrar · Ignacio');
  expect(await themeOf(page)).toBe('dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => themeOf(page), { message: 'a system switch to light is followed live' }).toBe('light');

  await signIn(page, request, participant);
  await expect(page).toHaveTitle('Chat · Ignacio');
  const toggle = page.getByTestId('theme-switch');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  expect(await themeOf(page)).toBe('dark');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background, 'the dark tokens apply').toBe('rgb(14, 22, 24)');
  await snap(page, 'dark-mode');
  await docShot(page, 'dark-mode');

  await page.reload();
  await expect(page.getByTestId('theme-switch')).toHaveAttribute('aria-pressed', 'true');
  expect(await themeOf(page), 'the choice is kept across a reload').toBe('dark');

  await page.getByRole('link', { name: 'Perfil' }).click();
  await expect(page).toHaveTitle('Tu perfil · Ignacio');
  await snap(page, 'profile-dark');

  await page.goto('/no-such-page');
  await expect(page).toHaveTitle('Página no encontrada · Ignacio');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('No encontramos esta página.');
  await expectAccessible(page, 'not found');

  // Back to light: the same as the system's setting, so it follows the system again.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await page.getByTestId('theme-switch').click();
  expect(await themeOf(page)).toBe('light');
  expect(await page.evaluate(() => localStorage.getItem('ignacio.theme'))).toBeNull();
});

test('the phone drawer gives focus back to the button that opened it', async ({ page, request }) => {
  const { theme_participant: participant } = await seededUsers(request);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await signIn(page, request, participant);
  const menu = page.getByRole('button', { name: 'Mostrar conversaciones' });
  await menu.click();
  await expect(page.getByRole('button', { name: 'Ocultar conversaciones' })).toBeFocused();
  await expectAccessible(page, 'phone drawer open');
  await page.keyboard.press('Escape');
  await expect(menu).toBeFocused();
});
