/**
 * An admin enrols a cohort from a CSV file: 50 rows, 3 of them bad; 47 are enrolled and the
 * report names the 3 by line with their reasons. (The test removes its 47 afterwards, so the
 * specs that follow see the user list as it was.)
 */
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { appUrl, docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

test('a 50-row CSV with 3 bad rows enrols 47 and reports the 3 with reasons', async ({ page, request }) => {
  const { import_admin, participant } = await seededUsers(request);
  await page.goto('/admin/users');
  const token = await signIn(page, request, import_admin);

  const rows = Array.from({ length: 50 }, (_, i) => `Importada ${i + 1};+34 699 ${String(100000 + i)};es;`);
  rows[4] = ';+34699999001;es;'; // line 6: no name
  rows[19] = 'Teléfono roto;12345;es;'; // line 21: not a number
  rows[34] = `Ya está;${participant.phone};en;`; // line 36: enrolled already
  const csv = ['Nombre;Teléfono;Idioma;Cohorte', ...rows].join('\n');

  await page.getByTestId('import-users').click();
  const dialog = page.getByTestId('import-dialog');
  await dialog.getByTestId('import-file').setInputFiles({ name: 'cohorte.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await dialog.getByTestId('import-submit').click();
  const report = dialog.getByTestId('import-report');
  await expect(report).toContainText('47 participantes inscritos.');
  const problems = report.getByTestId('import-problem');
  await expect(problems).toHaveCount(3);
  await expect(problems.nth(0)).toContainText('6');
  await expect(problems.nth(0)).toContainText('Falta el nombre');
  await expect(problems.nth(1)).toContainText('Teléfono roto');
  await expect(problems.nth(1)).toContainText('El teléfono no es válido');
  await expect(problems.nth(2)).toContainText('Ese teléfono ya está inscrito');
  await expect(report).not.toContainText(participant.phone);
  await expectAccessible(page, 'csv import report');
  await docShot(page, 'admin-csv-import');
  await dialog.getByRole('button', { name: 'Cerrar' }).first().click();
  await expect(page.getByTestId('user-row').filter({ hasText: 'Importada 50' })).toBeVisible();

  // Clean up: the 47 go, so later specs see the list they expect.
  const headers = { Authorization: `Bearer ${token.access_token}` };
  const listed = await request.get(`${appUrl()}/users`, { params: { search: 'Importada', limit: 100 }, headers });
  const imported = ((await listed.json()) as { items: { id: string }[] }).items;
  expect(imported).toHaveLength(47);
  for (const user of imported) {
    expect((await request.delete(`${appUrl()}/users/${user.id}`, { headers })).status()).toBe(204);
  }
});
