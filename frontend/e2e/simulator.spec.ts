/**
 * Trying WhatsApp without Meta: on a fresh `make run` with no WhatsApp configuration (the
 * README's quick start: `ignacio create-admin`, then `ignacio serve`), the first admin signs in
 * with the code printed on the console, enrols a participant, opens the WhatsApp simulator and
 * writes as them. The message goes through the real signed webhook, the job worker answers it,
 * the answer shows on the simulated phone, and the server's log holds no error.
 */
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, freshLogErrors, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_FRESH });

test('a message from the simulator page is answered there on a fresh server without WhatsApp, with no error in the job log', async ({ page, request }) => {
  const { simulator_admin: admin, simulator_participant: participant } = await seededUsers(request);

  await page.goto('/');
  await expect(page.getByTestId('phone-input')).toBeVisible();
  await signIn(page, request, admin, 'console');

  // Enrol the participant, as the README says (Admin → Users).
  await page.getByTestId('admin-link').click();
  await page.getByTestId('new-user').click();
  await page.getByTestId('user-phone').fill(participant.phone);
  await page.getByTestId('user-name').fill(participant.name);
  await page.getByTestId('user-save').click();
  await expect(page.getByTestId('user-row').filter({ hasText: participant.name })).toBeVisible();

  await page.getByTestId('simulator-link').click();
  await expect(page).toHaveURL(/\/simulator$/);
  const who = page.getByTestId('sim-participant');
  const option = who.locator('option').filter({ hasText: participant.name });
  await who.selectOption({ value: (await option.getAttribute('value')) ?? '' });
  const phone = page.getByTestId('sim-phone');
  await expect(phone).toContainText(participant.name);

  const question = '¿Cómo valido mi idea con mis primeros clientes?';
  await page.getByTestId('sim-input').fill(question);
  await page.getByTestId('sim-send').click();
  await expect(phone.getByTestId('sim-sent').filter({ hasText: question })).toBeVisible();
  // The answer comes back from the job worker through the app's own WhatsApp sender.
  const answer = phone.getByTestId('sim-received').first();
  await expect(answer).toBeVisible({ timeout: 45_000 });
  await expect(answer).not.toHaveText('');
  await expect(page.getByTestId('sim-input')).toHaveValue('');
  // Ignacio marked the question read: blue ticks on the participant's own message.
  await expect(phone.getByTestId('sim-sent').filter({ hasText: question }).getByTestId('sim-ticks')).toHaveAttribute('data-status', 'read');

  await expectAccessible(page, 'WhatsApp simulator with an answer');
  await docShot(page, 'whatsapp-simulator');

  const log = await freshLogErrors(request);
  expect(log.lines, 'the fresh server wrote its log').toBeGreaterThan(0);
  expect(log.errors, 'errors in the fresh server log').toEqual([]);
});
