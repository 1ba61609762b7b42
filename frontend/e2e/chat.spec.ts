/**
 * The participant's words are never lost, and an answer can be stopped, regenerated or asked
 * again in other words: Stop mid-stream keeps what was written (marked stopped); a message sent
 * while the network is down stays as "not sent" and goes when it returns; a reload mid-answer
 * shows "still answering" and then the answer; Regenerate keeps both answers to page through;
 * Edit & resend answers the new wording; a draft survives moving away and reloading. The server
 * paces the offline model like a real one (tests/e2e/serve.py), so there is a stream to stop.
 * Screenshots of these states go to docs/screenshots/.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { seededUsers, signIn } from './helpers';
import { repoDir } from './server';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

const screenshots = join(repoDir, 'docs', 'screenshots');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), animations: 'disabled' });
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-input').press('Enter');
}

test('stop keeps the partial answer, an offline message is kept and delivered, drafts persist', async ({ page, context, request }) => {
  const { participant } = await seededUsers(request);
  await page.goto('/');
  await signIn(page, request, participant);

  // A whole answer first: its toolbar.
  await send(page, '¿Cómo consigo mis primeros clientes?');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  const first = page.getByTestId('assistant-message').last();
  await expect(first.getByTestId('answer-toolbar')).toBeVisible();
  await shot(page, 'chat-toolbar');

  // Stop mid-stream: the server cancels the model, what was written stays, marked stopped.
  await send(page, '¿Cómo le pongo precio a mi producto?');
  const streaming = page.getByTestId('streaming-message');
  await expect(page.getByTestId('stop-button')).toBeVisible();
  const stop = page.waitForResponse((r) => r.url().endsWith('/stop') && r.request().method() === 'POST');
  await page.getByTestId('stop-button').click();
  expect((await stop).status()).toBe(204);
  await expect(streaming).toHaveCount(0);
  const stopped = page.getByTestId('assistant-message').last();
  await expect(stopped.getByTestId('stopped-badge')).toBeVisible();
  await expect(stopped.getByTestId('specialist-card')).not.toBeEmpty();
  await shot(page, 'chat-stopped');
  await page.reload();
  await expect(page.getByTestId('assistant-message').last().getByTestId('stopped-badge')).toBeVisible();

  // Offline: the message stays, shown as not sent, and goes when the network returns.
  await context.setOffline(true);
  await send(page, 'Mi presupuesto es de 5.000 euros');
  const notSent = page.getByTestId('not-sent-message');
  await expect(notSent).toContainText('Mi presupuesto es de 5.000 euros');
  await shot(page, 'chat-not-sent');
  await context.setOffline(false);
  await expect(notSent).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId('user-message').last()).toContainText('Mi presupuesto es de 5.000 euros');
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  const answered = await page.getByTestId('assistant-message').count();
  expect(answered).toBe(3);

  // A reload while the answer is being written: the page says Ignacio is still answering,
  // attaches to the running turn, and the answer arrives without another reload.
  await send(page, '¿Qué canales de venta me recomiendas?');
  await expect(page.getByTestId('streaming-message')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('still-answering')).toBeVisible();
  await shot(page, 'chat-still-answering');
  await expect(page.getByTestId('still-answering')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('assistant-message')).toHaveCount(4);
  await expect(page.getByTestId('user-message').last()).toContainText('¿Qué canales de venta me recomiendas?');

  // Regenerate: a new answer to the same question, the first kept as an alternative to page to.
  const last = page.getByTestId('assistant-message').last();
  const firstAnswerId = await last.getAttribute('data-message-id');
  await last.getByTestId('regenerate').click();
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  const regenerated = page.getByTestId('assistant-message').last();
  await expect(regenerated.getByTestId('answer-position')).toHaveText(/2 (de|of) 2/);
  await expect(page.getByTestId('assistant-message')).toHaveCount(4);
  expect(await regenerated.getAttribute('data-message-id')).not.toBe(firstAnswerId);
  await regenerated.getByTestId('previous-answer').click();
  await expect(regenerated.getByTestId('answer-position')).toHaveText(/1 (de|of) 2/);
  await expect(regenerated).toHaveAttribute('data-message-id', firstAnswerId ?? '');
  await page.reload();
  await expect(page.getByTestId('assistant-message').last().getByTestId('answer-position')).toHaveText(/(de|of) 2/);

  // Edit & resend the last question: the new wording is kept and gets its own answer.
  const lastQuestion = page.getByTestId('user-message').last();
  await lastQuestion.hover();
  await lastQuestion.getByTestId('edit-message').click();
  await page.getByTestId('edit-question').locator('textarea').fill('¿Qué canales de venta online me recomiendas?');
  await page.getByTestId('edit-send').click();
  await expect(page.getByTestId('user-message').last()).toContainText('¿Qué canales de venta online me recomiendas?');
  await expect(page.getByTestId('streaming-message')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('assistant-message')).toHaveCount(4);
  await page.reload();
  await expect(page.getByTestId('user-message').last()).toContainText('¿Qué canales de venta online me recomiendas?');
  await expect(page.getByTestId('user-message')).toHaveCount(4);

  // A draft stays with its conversation, through moving away and a reload.
  const conversationUrl = page.url();
  await page.getByTestId('message-input').fill('Una idea a medio escribir');
  await page.getByTestId('new-conversation').first().click();
  await expect(page.getByTestId('message-input')).toHaveValue('');
  await page.goto(conversationUrl);
  await expect(page.getByTestId('message-input')).toHaveValue('Una idea a medio escribir');
  await page.reload();
  await expect(page.getByTestId('message-input')).toHaveValue('Una idea a medio escribir');
});
