/**
 * The users page asks before it changes someone's role or deactivates them: the dialog names the
 * person and says what will happen; Escape or Cancel changes nothing (no request is sent) and
 * puts focus back on the button; confirming applies the change. Reactivating does not ask.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

/** Counts the user updates (PUT /users/{id}) the page sends from now on. */
function countUpdates(page: Page): () => number {
  let sent = 0;
  page.on('request', (r) => {
    if (r.method() === 'PUT' && /\/users\/[^/]+$/.test(new URL(r.url()).pathname)) sent += 1;
  });
  return () => sent;
}

async function dismissWithEscape(page: Page, dialog: Locator, opener: Locator): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener, 'focus returns to the button that asked').toBeFocused();
}

test('role changes and deactivation ask first, and cancelling keeps everything', async ({ page, request }) => {
  const { users_admin: admin, users_participant: person } = await seededUsers(request);
  const updates = countUpdates(page);
  await page.goto('/admin/users');
  await signIn(page, request, admin);
  await page.getByTestId('user-search').fill(person.name);
  const row = page.getByTestId('user-row').filter({ hasText: person.name });
  await expect(page.getByTestId('user-row')).toHaveCount(1);
  await expect(row).toContainText('Participante');
  const dialog = page.getByTestId('user-change-dialog');

  // Make admin: the dialog says who and what; Escape and Cancel keep the participant a participant.
  const makeAdmin = row.getByRole('button', { name: 'Hacer admin' });
  await makeAdmin.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading')).toHaveText(`¿Hacer admin a ${person.name}?`);
  await expect(dialog).toContainText(`${person.name} verá a todos los participantes`);
  await expect(dialog.getByRole('button', { name: 'Cancelar' }), 'Cancel, not the change, has the focus').toBeFocused();
  await expectAccessible(page, 'make-admin confirmation');
  await docShot(page, 'admin-confirm-role');
  await dismissWithEscape(page, dialog, makeAdmin);
  await makeAdmin.click();
  await dialog.getByRole('button', { name: 'Cancelar' }).click();
  await expect(dialog).toBeHidden();
  await expect(makeAdmin).toBeFocused();
  await expect(row).toContainText('Participante');
  expect(updates(), 'cancelling sends nothing').toBe(0);

  // Confirmed, it applies; removing the rights asks too.
  await makeAdmin.click();
  await dialog.getByTestId('confirm-button').click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('Administrador');
  expect(updates()).toBe(1);
  const removeAdmin = row.getByRole('button', { name: 'Quitar admin' });
  await expect(removeAdmin, 'focus stays on the (relabelled) button').toBeFocused();
  await removeAdmin.click();
  await expect(dialog.getByRole('heading')).toHaveText(`¿Quitar los permisos de admin a ${person.name}?`);
  await dialog.getByTestId('confirm-button').click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('Participante');
  expect(updates()).toBe(2);

  // Deactivate: the dialog says they are signed out and their data is kept; Escape keeps them active.
  const deactivate = row.getByRole('button', { name: 'Desactivar' });
  await deactivate.click();
  await expect(dialog.getByRole('heading')).toHaveText(`¿Desactivar a ${person.name}?`);
  await expect(dialog).toContainText('Se cerrará la sesión');
  await expect(dialog).toContainText('Sus conversaciones y archivos se conservan');
  await expectAccessible(page, 'deactivate confirmation');
  await docShot(page, 'admin-confirm-deactivate');
  await dismissWithEscape(page, dialog, deactivate);
  await expect(row).toContainText('Activo');
  expect(updates()).toBe(2);
  await deactivate.click();
  await dialog.getByTestId('confirm-button').click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('Desactivado');
  expect(updates()).toBe(3);

  // Reactivating gives access back at once, without a dialog.
  await row.getByRole('button', { name: 'Activar' }).click();
  await expect(row).toContainText('Activo');
  await expect(dialog).toBeHidden();
  expect(updates()).toBe(4);

  // Deleting asks too; Cancel keeps the row, confirming removes it.
  await page.getByTestId('user-search').fill('');
  await page.getByTestId('new-user').click();
  await page.getByTestId('user-phone').fill('+34600000099');
  await page.getByTestId('user-name').fill('Borja Borrable');
  await page.getByTestId('user-save').click();
  // The dialog closes and the list shows the new person before the search is typed (typing
  // while the save's list refresh is under way raced it on a loaded machine).
  await expect(page.getByTestId('user-row').filter({ hasText: 'Borja Borrable' })).toBeVisible();
  await page.getByTestId('user-search').fill('Borja Borrable');
  const doomed = page.getByTestId('user-row').filter({ hasText: 'Borja Borrable' });
  await expect(page.getByTestId('user-row')).toHaveCount(1);
  const remove = doomed.getByRole('button', { name: 'Eliminar: Borja Borrable' });
  const deleteDialog = page.getByTestId('confirm-dialog');
  await remove.click();
  await expect(deleteDialog.getByRole('heading')).toHaveText('¿Eliminar a Borja Borrable?');
  await deleteDialog.getByRole('button', { name: 'Cancelar' }).click();
  await expect(remove).toBeFocused();
  await remove.click();
  await deleteDialog.getByTestId('confirm-button').click();
  await expect(page.getByTestId('user-row')).toHaveCount(0);
});
