/**
 * Live: a WhatsApp message stored by one API process shows in tabs connected to another one
 * (both `ignacio serve` on one database), through Postgres LISTEN/NOTIFY, without a reload.
 */
import { expect, test, type Browser, type APIRequestContext, type Page } from '@playwright/test';
import { app2Url, seededUsers, signIn, snap, whatsappMessage, type Person } from './helpers';

const LIVE_WINDOW_MS = 2_000;

/** A tab on the second API process, signed in, with its live stream open. */
async function openTab(browser: Browser, request: APIRequestContext, person: Person, path: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: app2Url() });
  const page = await context.newPage();
  await page.goto(path);
  const live = page.waitForResponse((r) => r.url().endsWith('/events') && r.status() === 200);
  await signIn(page, request, person);
  await live;
  return page;
}

test('a WhatsApp message appears within 2 s in a participant tab and an admin tab on the other API process', async ({ browser, request }) => {
  const { admin, participant } = await seededUsers(request);

  const mine = await openTab(browser, request, participant, '/');
  const whatsappChat = mine.getByTestId('conversation-item').filter({ hasText: 'WhatsApp' }).first();
  await whatsappChat.getByRole('link').first().click();
  const myMessages = mine.getByTestId('user-message');
  await expect(myMessages.first()).toBeVisible();
  const myAnswers = await mine.getByTestId('assistant-message').count();

  const review = await openTab(browser, request, admin, '/admin/conversations');
  const row = review.getByTestId('admin-conversation-row').filter({ hasText: participant.name }).filter({ hasText: 'WhatsApp' });
  await row.first().getByRole('link').first().click();
  const transcript = review.getByTestId('transcript');
  await expect(transcript.getByTestId('user-message').first()).toBeVisible();

  const text = `¿Llegó esto en vivo? ${Date.now()}`;
  await whatsappMessage(request, participant.phone, text);
  await Promise.all([
    expect(myMessages.filter({ hasText: text })).toBeVisible({ timeout: LIVE_WINDOW_MS }),
    expect(transcript.getByTestId('user-message').filter({ hasText: text })).toBeVisible({ timeout: LIVE_WINDOW_MS }),
  ]);

  // The answer (a job on the first process's worker) follows in both, still without a reload.
  // (More than one when this is the participant's first WhatsApp contact: the consent notice comes first.)
  await expect.poll(() => mine.getByTestId('assistant-message').count()).toBeGreaterThan(myAnswers);
  await expect(transcript.getByTestId('assistant-message').last()).toBeVisible();
  await expect(transcript.getByTestId('delivery-status').last()).toBeVisible();
  await snap(review, 'admin-transcript-live');
  await mine.context().close();
  await review.context().close();
});
