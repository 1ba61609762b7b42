/**
 * Admin review: a text search shows where it matched (highlighted) and opens the transcript at
 * that message; the "look at" filters find answers marked 👎.
 */
import { expect, test } from '@playwright/test';
import { appUrl, docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

/** A word from the middle of `text`: long enough to be searchable, letters only. */
function middleWord(text: string): string {
  const words = text.split(/[^\p{L}]+/u).filter((w) => w.length >= 7);
  const word = words[Math.floor(words.length / 2)];
  if (!word) throw new Error(`no searchable word in: ${text}`);
  return word;
}

test('admin search shows the highlighted words and opens the transcript at the matching answer', async ({ browser, page, request }) => {
  const { search_admin: admin, search_participant: participant } = await seededUsers(request);

  // The participant asks on the web and marks the answer 👎.
  const theirs = await browser.newContext({ baseURL: appUrl() });
  const them = await theirs.newPage();
  await them.goto('/');
  await signIn(them, request, participant);
  await them.getByTestId('new-conversation').click();
  await them.getByTestId('message-input').fill('¿Cómo organizo las primeras entrevistas con clientes?');
  await them.getByTestId('send-button').click();
  const answer = them.getByTestId('assistant-message').last();
  await expect(answer).toBeVisible();
  await expect(them.getByTestId('streaming-message')).toHaveCount(0);
  const word = middleWord((await answer.innerText()).slice(40));
  const answerId = (await answer.getAttribute('data-message-id')) ?? '';
  const rated = them.waitForResponse((r) => r.url().includes('/feedback') && r.ok());
  await answer.getByRole('button', { name: /^(No útil|Not helpful)$/ }).click();
  await rated;
  await theirs.close();

  await page.goto('/admin/conversations');
  await signIn(page, request, admin);
  await page.getByLabel(/Buscar en los mensajes|Search in messages/).fill(word);
  await page.getByTestId('conversation-filters').getByRole('button', { name: /Aplicar|Apply/ }).click();
  const hit = page.getByTestId('admin-conversation-row').filter({ has: page.getByTestId('search-snippet') }).first();
  await expect(hit.getByTestId('search-snippet').locator('mark').first()).toHaveText(new RegExp(word, 'i'));
  await docShot(page.getByTestId('admin-conversations-table'), 'admin-search-snippets');

  await hit.getByTestId('search-snippet').click();
  await expect(page).toHaveURL(new RegExp(`message=${answerId}`));
  const match = page.locator(`[data-message-id="${answerId}"]`);
  await expect(match).toHaveClass(/is-search-match/);
  await expect(match).toBeInViewport();
  await docShot(page, 'admin-transcript-at-match');

  // The 👎 filter finds that conversation.
  await page.goto('/admin/conversations?thumbs_down=1');
  await expect(page.getByTestId('filter-thumbs_down')).toBeChecked();
  await expect(page.getByTestId('admin-conversation-row').filter({ hasText: participant.name })).toHaveCount(1);
});
