/**
 * The audit log for a range of days: the range lives in the URL, rows name people instead of
 * ids and show their details as "key: value", and "Export CSV" downloads exactly that range
 * (the export itself then shows in the log). tests/e2e/serve.py seeds rows on past days.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const utcToday = (): string => new Date().toISOString().slice(0, 10);

test('an admin filters the audit log by days and exports that range as CSV', async ({ page, request }) => {
  const { audit_admin: admin, audit_participant: participant } = await seededUsers(request);

  // A deep link with a one-day range.
  await page.goto('/admin/audit?from=2026-03-01&to=2026-03-01');
  await signIn(page, request, admin);
  await expect(page).toHaveURL(/\/admin\/audit\?from=2026-03-01&to=2026-03-01$/);
  const rows = page.getByTestId('audit-row');
  await expect(rows).toHaveCount(2);
  await expect(page.getByLabel(/^(Desde|From)$/)).toHaveValue('2026-03-01');
  await expect(page.getByLabel(/^(Hasta|To)$/)).toHaveValue('2026-03-01');
  const edit = rows.filter({ hasText: 'user.update' });
  await expect(edit).toContainText(admin.name);
  await expect(edit).toContainText(participant.name);
  // Details read as words, not as JSON.
  await expect(edit.locator('.audit-details')).toContainText(/changes\s*name, preferred_language/);
  await expect(edit).not.toContainText('{');
  await expect(rows.filter({ hasText: 'user.export' })).toContainText(/own\s*No/);

  // Widen the range in the form: the URL follows, and the next day's row appears.
  await page.getByLabel(/^(Hasta|To)$/).fill('2026-03-02');
  await page.getByRole('button', { name: /^(Aplicar|Apply)$/ }).click();
  await expect(page).toHaveURL(/from=2026-03-01&to=2026-03-02/);
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('usage.cap_lift');
  await expectAccessible(page, 'audit log for a range of days');
  await docShot(page, 'admin-audit');

  // Export CSV: that range, oldest first, every row of the screen.
  const downloading = page.waitForEvent('download');
  await page.getByTestId('audit-export').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('audit-2026-03-01-2026-03-02.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  expect(csv[0]).toBe('id,seq,created_at,actor_id,actor_name,action,target_type,target_id,target_name,target_user_name,client_ip,details,row_hash');
  expect(csv.slice(1).map((line) => line.split(',')[5])).toEqual(['user.export', 'user.update', 'usage.cap_lift']);
  expect(csv.slice(1).every((line) => line.includes(admin.name) && line.includes(participant.name))).toBe(true);

  // The export is in the log today, with the range it covered.
  await page.goto(`/admin/audit?action=audit.export&from=${utcToday()}`);
  const exported = page.getByTestId('audit-row');
  await expect(exported).toHaveCount(1);
  await expect(exported).toContainText(admin.name);
  await expect(exported.locator('.audit-details')).toContainText(/from\s*2026-03-01/);
  await expect(exported.locator('.audit-details')).toContainText(/to\s*2026-03-02/);

  // A range with nothing in it says so.
  await page.goto('/admin/audit?from=2026-02-01&to=2026-02-02');
  await expect(page.getByText(/No hay entradas que coincidan|No entries match/)).toBeVisible();
});
