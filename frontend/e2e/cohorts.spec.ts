/**
 * Cohorts, usage and data rights in the browser: an admin creates a cohort and adds a
 * participant; the participant chats and downloads their data (a ZIP with export.json holding
 * what they wrote); the usage page charts that usage beside its tables, exports it as CSV and
 * lifts the participant's cap; the admin exports the participant's data from the users page.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectAccessible } from './a11y';
import { appUrl, docShot, seededUsers, signIn } from './helpers';
import { zipEntries, zipRead } from './zip';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const COHORT = 'Primavera de prueba';
const QUESTION = '¿Cómo calculo el precio de mi suscripción para colegios?';

/** YYYY-MM-DD, `days` from today. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Clicks `trigger` and answers the download it starts, as bytes. */
async function download(page: Page, trigger: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

test('cohort, usage charts and data exports', async ({ browser, page, request }) => {
  test.setTimeout(150_000);
  const { cohorts_admin: admin, cohorts_participant: participant } = await seededUsers(request);

  // The admin creates a cohort and adds the participant.
  await page.goto('/admin/cohorts');
  await signIn(page, request, admin);
  await page.getByTestId('new-cohort').click();
  const dialog = page.getByTestId('cohort-dialog');
  await dialog.getByTestId('cohort-name').fill(COHORT);
  await dialog.getByTestId('cohort-starts_on').fill(day(-30));
  await dialog.getByTestId('cohort-ends_on').fill(day(90));
  await dialog.getByTestId('cohort-participant_daily_tokens').fill('500000');
  await expectAccessible(page, 'new cohort dialog');
  await dialog.getByTestId('cohort-save').click();
  const detail = page.getByTestId('cohort-detail');
  await expect(detail.getByRole('heading', { name: COHORT })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/cohorts\/[0-9a-f-]{36}$/);
  const cohortId = page.url().split('/').pop() ?? '';

  await detail.getByTestId('add-members').click();
  const picker = page.getByTestId('add-members-dialog');
  await picker.getByTestId('member-search').fill(participant.name);
  await picker.getByTestId('member-candidate').filter({ hasText: participant.name }).getByRole('checkbox').check();
  await picker.getByTestId('add-members-save').click();
  await expect(picker).toHaveCount(0);
  await expect(detail.getByTestId('cohort-member-row').filter({ hasText: participant.name })).toHaveCount(1);
  await expectAccessible(page, 'cohort detail');

  await page.getByRole('link', { name: /Volver a las ediciones|Back to cohorts/ }).click();
  const row = page.getByTestId('cohort-row').filter({ hasText: COHORT });
  await expect(row.getByTestId('cohort-member-count')).toHaveText('1');
  await expectAccessible(page, 'cohort list');
  await docShot(page, 'cohorts');

  // The participant asks something on the web, then downloads their data from the profile.
  const theirs = await browser.newContext({ baseURL: appUrl() });
  const them = await theirs.newPage();
  await them.goto('/');
  await signIn(them, request, participant);
  await them.getByTestId('new-conversation').click();
  await them.getByTestId('message-input').fill(QUESTION);
  await them.getByTestId('send-button').click();
  await expect(them.getByTestId('assistant-message').last()).toBeVisible();
  await expect(them.getByTestId('streaming-message')).toHaveCount(0);

  await them.goto('/profile');
  const exportPanel = them.getByTestId('data-export');
  await exportPanel.scrollIntoViewIfNeeded();
  const mine = await download(them, () => exportPanel.getByTestId('download-my-data').click());
  expect(mine.name).toMatch(/^ignacio-export-\d{8}\.zip$/);
  const entries = zipEntries(mine.bytes);
  expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['export.json', 'transcript.md']));
  const json = entries.find((e) => e.name === 'export.json');
  if (!json) throw new Error('export.json is missing');
  const exported = zipRead(mine.bytes, json).toString('utf8');
  expect(exported).toContain(QUESTION);
  expect(exported).toContain(COHORT);
  await expect(exportPanel.getByRole('status')).toHaveText(/Descarga lista|Download ready/);
  await expectAccessible(them, 'profile with the data export');
  await docShot(exportPanel, 'profile-export');
  await theirs.close();

  // The usage page charts the participant's usage (per cohort, participant and day) beside tables.
  await page.goto('/admin/usage');
  const usage = page.getByTestId('usage-page');
  for (const group of ['cohort', 'participant', 'day']) {
    await expect(usage.getByTestId(`usage-${group}`).getByTestId('usage-canvas')).toBeVisible();
  }
  await expect(usage.getByTestId('usage-table-cohort').getByTestId('usage-row').filter({ hasText: COHORT })).toHaveCount(1);
  const theirRow = usage.getByTestId('usage-table-participant').getByTestId('usage-row').filter({ hasText: participant.name });
  await expect(theirRow).toHaveCount(1);
  const tokens = Number(((await theirRow.locator('td').nth(1).innerText()) || '0').replace(/\D/g, ''));
  expect(tokens).toBeGreaterThan(0);
  await docShot(page, 'usage-charts');
  await expectAccessible(page, 'usage charts');

  // Filtered by the cohort: only its participant; the CSV carries the same rows.
  await page.goto(`/admin/usage?cohort_id=${cohortId}`);
  const participantRows = usage.getByTestId('usage-table-participant').getByTestId('usage-row');
  await expect(participantRows).toHaveCount(1);
  await expect(participantRows).toContainText(participant.name);
  const csv = await download(page, () => usage.getByTestId('usage-csv-participant').click());
  expect(csv.name).toBe('usage-by-participant.csv');
  const lines = csv.bytes.toString('utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('participant,name,requests,input_tokens,output_tokens,cost_usd');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(participant.name);

  // Lift the participant's cap, then restore it.
  await participantRows.getByTestId('cap-lift').click();
  await expect(usage.getByRole('status').filter({ hasText: participant.name })).toContainText(/levantado|lifted/);
  await participantRows.getByRole('button', { name: /Restablecer|Restore/ }).click();
  await expect(usage.getByRole('status').filter({ hasText: participant.name })).toContainText(/vuelve a aplicarse|applies again/);

  // The users page filtered by the cohort shows the participant; the admin exports their data.
  await page.goto(`/admin/users?cohort_id=${cohortId}`);
  const userRows = page.getByTestId('user-row');
  await expect(userRows).toHaveCount(1);
  await expect(userRows).toContainText(participant.name);
  const theirData = await download(page, () => userRows.getByTestId('export-user').click());
  expect(zipEntries(theirData.bytes).map((e) => e.name)).toContain('export.json');
  await expectAccessible(page, 'users filtered by cohort');
  await userRows.getByRole('button', { name: new RegExp(`^(Editar|Edit): ${participant.name}$`) }).click();
  await expect(page.getByTestId('user-dialog').getByTestId('user-cohorts')).toContainText(COHORT);
  await page.getByTestId('user-dialog').getByRole('button', { name: /Cancelar|Cancel/ }).click();

  // Both exports are in the audit log, named in words.
  await page.goto('/admin/audit?action=user.export');
  const exports = page.getByTestId('audit-row').filter({ hasText: participant.name });
  await expect(exports).toHaveCount(2); // theirs and the admin's
  await expect(exports.first()).toContainText(/Exportó los datos de un usuario|Exported a user’s data/);

  // The conversation list filtered by the cohort shows the participant's conversation only.
  await page.goto(`/admin/conversations?cohort_id=${cohortId}`);
  await expect(page.getByTestId('cohort-filter')).toHaveValue(cohortId);
  const conversations = page.getByTestId('admin-conversation-row');
  await expect(conversations).toHaveCount(1);
  await expect(conversations).toContainText(participant.name);
});
