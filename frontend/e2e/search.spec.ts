/**
 * A participant searches their own conversations, web and WhatsApp: highlighted snippets, and a
 * result opens the conversation scrolled to the message that matched.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { docShot, seededUsers, signIn, whatsappMessage } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-input').press('Enter');
}

test('a participant finds a word from the middle of an answer and a WhatsApp message, and opens each at the match', async ({ page, request }) => {
  const { search_self } = await seededUsers(request);
  await page.goto('/');
  await signIn(page, request, search_self);

  // A web answer (the offline model's words), then a WhatsApp message in its own conversation.
  await send(page, '¿Cómo consigo mis primeros clientes?');
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('assistant-message')).toHaveCount(1);
  await whatsappMessage(request, search_self.phone, 'Tengo un presupuesto de zarzamora para la feria');
  await expect(page.getByTestId('conversation-item').filter({ hasText: 'WhatsApp' })).toHaveCount(1, { timeout: 10_000 });

  const box = page.getByTestId('conversation-search');
  await box.fill('comprobarlo');
  const hit = page.getByTestId('search-result');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(['comprobarlo']);
  await expect(hit).toContainText('clientes reales');
  await expect(page.getByTestId('conversation-list')).toBeHidden();
  await expectAccessible(page, 'participant search');
  await docShot(page, 'participant-search');

  await hit.getByRole('link').click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}\?message=[0-9a-f-]{36}$/);
  const marked = page.locator('.msg.is-search-match');
  await expect(marked).toHaveCount(1);
  await expect(marked).toContainText('comprobarlo');
  await expect(marked).toBeInViewport();

  // The WhatsApp conversation is searched too.
  await box.fill('zarzamora');
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText('WhatsApp');
  await expect(hit.locator('mark')).toHaveText(['zarzamora']);
  await hit.getByRole('link').click();
  await expect(page.locator('.msg.is-search-match')).toContainText('presupuesto de zarzamora');

  // Nothing found says so; clearing the box brings the list back.
  await box.fill('xilófono');
  await expect(page.getByText('No conversation mentions that.').or(page.getByText('Ninguna conversación menciona eso.'))).toBeVisible();
  await box.fill('');
  await expect(page.getByTestId('conversation-list')).toBeVisible();
});
