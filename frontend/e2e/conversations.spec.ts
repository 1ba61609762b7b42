/**
 * A participant tidies their conversation list: renaming in place (Escape and Cancel keep the
 * old title and send nothing, Enter saves; the new title is stored, so it survives a reload) and
 * deleting with a confirmation (Cancel keeps it; confirmed, it leaves the list for good, and its
 * old address says it no longer exists). The API's list agrees with the sidebar. The participant
 * is this spec's own, enrolled through the admin API, so no other spec sees these conversations.
 */
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { appUrl, capturedCodes, nextCode, seededUsers, signIn, type Person } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const PERSON: Person = { phone: '+34600000065', name: 'Lola Ordenada' };
const KEPT_QUESTION = '¿Cómo busco financiación para mi tienda?';
const DELETED_QUESTION = '¿Qué permisos necesito para abrir un local?';
const NEW_TITLE = 'Financiación: plan para el banco';

interface ListedConversation {
  id: string;
  title: string | null;
}

/** An admin's access token, signed in over the API (this spec's only sign-in with that number). */
async function adminToken(request: APIRequestContext): Promise<string> {
  const { users_admin: admin } = await seededUsers(request);
  const before = (await capturedCodes(request, admin.phone)).count;
  expect((await request.post(`${appUrl()}/auth/request-otp`, { data: { phone_number: admin.phone } })).status()).toBe(202);
  const code = await nextCode(request, admin.phone, before);
  const verified = await request.post(`${appUrl()}/auth/verify-otp`, { data: { phone_number: admin.phone, code } });
  expect(verified.status()).toBe(200);
  return ((await verified.json()) as { access_token: string }).access_token;
}

/** Counts the renames (PATCH) and deletions (DELETE) of a conversation the page sends from now on. */
function countChanges(page: Page): { renames: () => number; deletions: () => number } {
  const sent = { PATCH: 0, DELETE: 0 };
  page.on('request', (r) => {
    const method = r.method();
    if ((method === 'PATCH' || method === 'DELETE') && /\/conversations\/[^/]+$/.test(new URL(r.url()).pathname)) sent[method] += 1;
  });
  return { renames: () => sent.PATCH, deletions: () => sent.DELETE };
}

/** Asks from the composer (a new conversation from the welcome screen) and waits for the answer. */
async function ask(page: Page, question: string): Promise<string> {
  await page.getByTestId('message-input').fill(question);
  await page.getByTestId('message-input').press('Enter');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('user-message').last()).toContainText(question);
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('assistant-message')).toHaveCount(1);
  return new URL(page.url()).pathname.split('/').pop() ?? '';
}

function sidebarOf(page: Page): Locator {
  return page.getByRole('complementary', { name: 'Conversaciones' });
}

/** The sidebar's link to a conversation, by the title it shows. */
function linkTo(page: Page, title: string): Locator {
  return sidebarOf(page).getByRole('link', { name: title });
}

async function listed(request: APIRequestContext, token: string): Promise<ListedConversation[]> {
  const response = await request.get(`${appUrl()}/conversations`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { items: ListedConversation[] }).items.map(({ id, title }) => ({ id, title }));
}

test('a participant renames a conversation in place and deletes another after confirming', async ({ page, request }) => {
  const admin = { Authorization: `Bearer ${await adminToken(request)}` };
  const enrolled = await request.post(`${appUrl()}/users`, { headers: admin, data: { phone_number: PERSON.phone, name: PERSON.name } });
  expect(enrolled.status()).toBe(201);
  const personId = ((await enrolled.json()) as { id: string }).id;

  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const changes = countChanges(page);
  await page.goto('/');
  const { access_token: token } = await signIn(page, request, PERSON);
  const sidebar = sidebarOf(page);
  const items = sidebar.getByTestId('conversation-item');
  await expect(sidebar).toContainText('Aún no tienes conversaciones');

  // Two conversations, each started from the welcome screen.
  const keptId = await ask(page, KEPT_QUESTION);
  await page.getByTestId('new-conversation').click();
  await expect(page).toHaveURL(/\/$/);
  const deletedId = await ask(page, DELETED_QUESTION);
  expect(deletedId).not.toBe(keptId);
  await expect(items).toHaveCount(2);
  await expect(linkTo(page, KEPT_QUESTION)).toHaveAttribute('href', `/c/${keptId}`);
  await expect(linkTo(page, DELETED_QUESTION)).toHaveAttribute('href', `/c/${deletedId}`);

  // Rename: the pencil opens the title in place, focused, with the current title.
  const rename = sidebar.getByRole('button', { name: `Renombrar «${KEPT_QUESTION}»`, exact: true });
  const input = sidebar.getByRole('textbox', { name: 'Nuevo título' });
  await rename.click();
  await expect(input).toBeFocused();
  await expect(input).toHaveValue(KEPT_QUESTION);
  await expect(linkTo(page, KEPT_QUESTION)).toHaveCount(0);
  await expectAccessible(page, 'renaming a conversation');

  // A rename given up: the form closes, the words typed are dropped, the old title stays,
  // focus returns to the pencil and nothing is sent.
  const expectDiscarded = async (typed: string, how: string) => {
    await expect(input).toHaveCount(0);
    await expect(linkTo(page, KEPT_QUESTION)).toHaveAttribute('href', `/c/${keptId}`);
    await expect(sidebar).not.toContainText(typed);
    await expect(rename, 'focus returns to the pencil').toBeFocused();
    expect(changes.renames(), `${how} sends no rename`).toBe(0);
  };

  // Escape gives up.
  await input.fill('Un título que no se guarda');
  await input.press('Escape');
  await expectDiscarded('Un título que no se guarda', 'Escape');

  // So does the Cancel button, and opening the form again starts from the stored title.
  await rename.click();
  await expect(input).toHaveValue(KEPT_QUESTION);
  await input.fill('Otro título descartado');
  const editing = items.filter({ has: page.getByRole('textbox', { name: 'Nuevo título' }) });
  await editing.getByRole('button', { name: 'Cancelar', exact: true }).click();
  await expectDiscarded('Otro título descartado', 'Cancel');

  // Enter saves the new title (trimmed); the other conversation keeps its own.
  await rename.click();
  await input.fill(`  ${NEW_TITLE}  `);
  const renamed = page.waitForResponse((r) => r.url().endsWith(`/conversations/${keptId}`) && r.request().method() === 'PATCH');
  await input.press('Enter');
  const renameResponse = await renamed;
  expect(renameResponse.status()).toBe(200);
  expect(((await renameResponse.json()) as ListedConversation).title).toBe(NEW_TITLE);
  expect(changes.renames()).toBe(1);
  await expect(input).toHaveCount(0);
  await expect(linkTo(page, NEW_TITLE)).toHaveAttribute('href', `/c/${keptId}`);
  await expect(linkTo(page, KEPT_QUESTION)).toHaveCount(0);
  await expect(sidebar.getByRole('button', { name: `Renombrar «${NEW_TITLE}»`, exact: true }), 'focus returns to the pencil').toBeFocused();
  await expect(linkTo(page, DELETED_QUESTION)).toHaveAttribute('href', `/c/${deletedId}`);

  // It was stored: after a reload the sidebar and the conversation's own header show it.
  await page.reload();
  await expect(linkTo(page, NEW_TITLE)).toHaveAttribute('href', `/c/${keptId}`);
  await expect(linkTo(page, KEPT_QUESTION)).toHaveCount(0);
  await linkTo(page, NEW_TITLE).click();
  await expect(page).toHaveURL(new RegExp(`/c/${keptId}$`));
  await expect(page.getByTestId('conversation-title')).toHaveText(NEW_TITLE);
  expect(await listed(request, token)).toEqual(
    expect.arrayContaining([
      { id: keptId, title: NEW_TITLE },
      { id: deletedId, title: DELETED_QUESTION },
    ]),
  );

  // Delete the conversation that is open: the dialog names it; Cancel keeps it and sends nothing.
  await linkTo(page, DELETED_QUESTION).click();
  await expect(page).toHaveURL(new RegExp(`/c/${deletedId}$`));
  const remove = sidebar.getByRole('button', { name: `Eliminar «${DELETED_QUESTION}»`, exact: true });
  const dialog = page.getByRole('dialog', { name: '¿Eliminar esta conversación?' });
  await remove.click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`Se eliminarán «${DELETED_QUESTION}» y todos sus mensajes.`);
  await expect(dialog.getByRole('button', { name: 'Cancelar' }), 'Cancel, not Delete, has the focus').toBeFocused();
  await expectAccessible(page, 'delete-conversation confirmation');
  await dialog.getByRole('button', { name: 'Cancelar' }).click();
  await expect(dialog).toBeHidden();
  await expect(remove, 'focus returns to the button that asked').toBeFocused();
  await expect(items).toHaveCount(2);
  await expect(page).toHaveURL(new RegExp(`/c/${deletedId}$`));
  expect(changes.deletions(), 'Cancel sends no deletion').toBe(0);

  // Confirmed: it is deleted, leaves the list, and the app moves off it to the welcome screen.
  await remove.click();
  const deleted = page.waitForResponse((r) => r.url().endsWith(`/conversations/${deletedId}`) && r.request().method() === 'DELETE');
  await dialog.getByRole('button', { name: 'Eliminar', exact: true }).click();
  expect((await deleted).status()).toBe(204);
  expect(changes.deletions()).toBe(1);
  await expect(dialog).toBeHidden();
  await expect(page).toHaveURL(/\/$/);
  await expect(items).toHaveCount(1);
  await expect(linkTo(page, DELETED_QUESTION)).toHaveCount(0);
  await expect(linkTo(page, NEW_TITLE)).toHaveAttribute('href', `/c/${keptId}`);

  // For good: not back after a reload.
  await page.reload();
  await expect(linkTo(page, NEW_TITLE)).toHaveAttribute('href', `/c/${keptId}`);
  await expect(items).toHaveCount(1);
  await expect(linkTo(page, DELETED_QUESTION)).toHaveCount(0);

  // Its old address says it does not exist (no composer to write into), and the list is intact.
  await page.goto(`/c/${deletedId}`);
  await expect(page.getByRole('alert')).toHaveText('Esta conversación no existe o ya no está disponible.');
  await expect(page.getByTestId('message-input')).toHaveCount(0);
  await expect(page.getByTestId('user-message')).toHaveCount(0);
  await expect(items).toHaveCount(1);
  await expect(linkTo(page, NEW_TITLE)).toHaveAttribute('href', `/c/${keptId}`);

  // The API agrees: one conversation, renamed; the deleted one's messages are gone with it.
  expect(await listed(request, token)).toEqual([{ id: keptId, title: NEW_TITLE }]);
  const gone = await request.get(`${appUrl()}/conversations/${deletedId}/messages`, { headers: { Authorization: `Bearer ${token}` } });
  expect(gone.status()).toBe(404);
  expect(errors, 'no uncaught errors in the page').toEqual([]);

  // Clean up: the participant goes, so later specs see the user list as it was.
  expect((await request.delete(`${appUrl()}/users/${personId}`, { headers: admin })).status()).toBe(204);
});
