/**
 * Ignacio in a real browser against the real app (embedded Postgres, offline model, fake
 * WhatsApp Graph API). Serial: the admin reviews what the participants did before.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { appUrl, onSlowNetwork, recordStreaming, seededUsers, signIn, snap, streamedFrames, tinyPdf, type Person } from './helpers';

test.describe.configure({ mode: 'serial' });

const PRICING_QUESTION = '¿Cómo le pongo precio a mi producto?';
const PLANNING_QUESTION = '¿Qué hitos y plazos pongo en el cronograma del lanzamiento?';
const NEW_USER: Person = { phone: '+34600000077', name: 'Nora Nueva' };

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

/** Sends a question from the chat's composer and waits for the stored answer. */
async function ask(page: Page, question: string): Promise<void> {
  await page.getByTestId('message-input').fill(question);
  const turn = page.waitForResponse((r) => /\/conversations\/[^/]+\/messages$/.test(r.url()) && r.request().method() === 'POST');
  await page.getByTestId('send-button').click();
  const response = await turn;
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('text/event-stream');
  await expect(page.getByTestId('streaming-message')).toHaveCount(0);
}

test('a participant signs in with the WhatsApp code, gets a streamed specialist answer and uploads a PDF', async ({ page, request }) => {
  const { participant } = await seededUsers(request);
  await recordStreaming(page);

  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await snap(page, 'login');
  await expectAccessible(page, 'sign-in');
  const pair = await signIn(page, request, participant);
  expect(pair.user.is_admin).toBe(false);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 }).last()).toContainText('Pablo');
  await snap(page, 'welcome');
  await expectAccessible(page, 'welcome');

  // Chat: the streamed answer, then the stored typed answer as a specialist card.
  await onSlowNetwork(page, 4_000, () => ask(page, PRICING_QUESTION));
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('user-message').last()).toContainText(PRICING_QUESTION);
  const card = page.getByTestId('assistant-message').last().getByTestId('specialist-card');
  await expect(card).toHaveAttribute('data-specialist', 'marketing');
  await expect(card).toContainText('Marketing');
  await expect(card).toContainText('precio a mi producto');
  await expect(card.getByTestId('offline-badge')).toBeVisible();
  await expect(card.getByTestId('checklist').getByRole('checkbox')).toHaveCount(3);
  await expect(card).toContainText('Lean Canvas');
  // This chat and the WhatsApp conversation they had before (tests/e2e/serve.py seeds it).
  await expect(page.getByTestId('conversation-item')).toHaveCount(2);

  // The answer grew on screen while it arrived: different texts, from the shortest to the longest
  // (on a busy machine the browser may paint only two of them). A frame in between may be a
  // little shorter than the one before it (a closing `**` turns literal asterisks into bold), so
  // only the ends are ordered.
  const frames = (await streamedFrames(page)).filter((text) => text.includes('Sobre «'));
  const shown = `streamed frames: ${JSON.stringify(frames)}`;
  expect(frames.length, shown).toBeGreaterThanOrEqual(2);
  const lengths = frames.map((text) => text.length);
  expect(lengths[0], shown).toBe(Math.min(...lengths));
  expect(lengths[lengths.length - 1], shown).toBe(Math.max(...lengths));
  expect(lengths[lengths.length - 1], shown).toBeGreaterThan(lengths[0] ?? 0);

  await snap(page, 'chat-desktop');
  await snap(card, 'answer-card');
  await expectAccessible(page, 'chat with an answer');

  // Feedback on the answer is stored.
  const rated = page.waitForResponse((r) => r.url().endsWith('/feedback') && r.request().method() === 'POST');
  await card.getByTestId('feedback-up').click();
  expect((await rated).status()).toBe(200);
  await expect(card.getByTestId('feedback-up')).toHaveAttribute('aria-pressed', 'true');

  // The same chat on a phone.
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(page.getByTestId('message-input')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'no horizontal scrolling on a phone').toBeLessThanOrEqual(0);
  await snap(page, 'chat-phone');
  await expectAccessible(page, 'chat on a phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // The interface in English (the answer itself stays in the language it was given in).
  await page.getByTestId('lang-en').click();
  await expect(page.getByRole('link', { name: 'Profile' })).toBeVisible();
  await expect(card).toContainText('Next steps');
  await expect(page.getByTestId('message-input')).toHaveAttribute('placeholder', /question/i);
  await snap(page, 'chat-desktop-en');
  await page.getByTestId('lang-es').click();
  await expect(page.getByRole('link', { name: 'Perfil' })).toBeVisible();

  // A PDF into "my files": it shows in the list, and is still there after a reload (silent refresh).
  await page.getByRole('link', { name: 'Perfil' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await page.getByTestId('library-file-input').setInputFiles({
    name: 'plan-de-negocio.pdf',
    mimeType: 'application/pdf',
    buffer: tinyPdf('Plan de negocio: precio objetivo 19 euros al mes'),
  });
  const row = page.getByTestId('file-row').filter({ hasText: 'plan-de-negocio.pdf' });
  await expect(row).toBeVisible();
  await page.reload();
  await expect(row).toBeVisible();
  await expect(row).toContainText(/Listo|En cola|Leyendo/);
  await snap(page.locator('section.panel').filter({ has: page.getByTestId('file-list') }), 'profile-files');

  // What Ignacio remembers from their WhatsApp conversation, and forgetting one note of it.
  const memory = page.getByTestId('my-memory');
  const pilots = memory.getByTestId('memory-note').filter({ hasText: 'Tenemos 3 pilotos de pago en Valencia.' });
  await expect(pilots).toBeVisible();
  await expect(pilots).toContainText('WhatsApp');
  await expect(pilots).toContainText('Cifra');
  await expect(memory.getByTestId('memory-note').filter({ hasText: 'Hemos decidido cobrar 12 euros' })).toBeVisible();
  await snap(memory, 'profile-memory');
  await expectAccessible(page, 'profile');
  await pilots.getByTestId('memory-forget').click();
  const forgetting = page.waitForResponse((r) => /\/users\/me\/memory\/[0-9a-f-]{36}$/.test(r.url()) && r.request().method() === 'DELETE');
  await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click();
  expect((await forgetting).status()).toBe(204);
  await expect(pilots).toHaveCount(0);
  await page.reload();
  await expect(memory.getByTestId('memory-note')).toHaveCount(1);
  await expect(pilots).toHaveCount(0);

  // No admin area: no link, a deep link sends them back to the chat, and the API says 403.
  await expect(page.getByTestId('admin-link')).toHaveCount(0);
  await page.goto('/admin/users');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('admin-nav')).toHaveCount(0);
  for (const path of ['/admin/audit', '/admin/conversations', '/users']) {
    const refused = await request.get(`${appUrl()}${path}`, { headers: { Authorization: `Bearer ${pair.access_token}` } });
    expect(refused.status(), `GET ${path} as a participant`).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  }
});

test('an admin opens a deep link, creates a user, reads that user’s transcript and sees the view in the audit log', async ({ page, request, browser }) => {
  const people = await seededUsers(request);
  const { admin } = people;

  // A deep link loads the app (index.html), which asks for sign-in and then goes where it was asked.
  const html = await request.get(`${appUrl()}/admin/users`, { headers: { Accept: 'text/html' } });
  expect(html.status()).toBe(200);
  expect(html.headers()['content-type']).toContain('text/html');
  await page.goto('/admin/users');
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, request, admin);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByTestId('admin-nav')).toBeVisible();
  // Every seeded person is listed (the security spec adds its own later).
  await expect(page.getByTestId('user-row')).toHaveCount(Object.keys(people).length);

  // Create a participant.
  await page.getByTestId('new-user').click();
  await page.getByTestId('user-phone').fill(NEW_USER.phone);
  await page.getByTestId('user-name').fill(NEW_USER.name);
  await page.getByTestId('user-save').click();
  await expect(page.getByTestId('user-dialog')).toHaveCount(0);
  await expect(page.getByTestId('new-user'), 'focus returns to the button that opened the dialog').toBeFocused();
  const newRow = page.getByTestId('user-row').filter({ hasText: NEW_USER.name });
  await expect(newRow).toBeVisible();
  await expect(newRow).toContainText(NEW_USER.phone);
  await snap(page, 'admin-users');
  await expectAccessible(page, 'admin users');

  // The new participant signs in on their own device and asks something.
  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await them.goto(`${appUrl()}/`);
    await signIn(them, request, NEW_USER);
    // With a file attached from the composer (uploaded at once, sent with the message).
    await them.getByTestId('composer-file-input').setInputFiles({
      name: 'cronograma.pdf',
      mimeType: 'application/pdf',
      buffer: tinyPdf('Lanzamiento: 1 de marzo'),
    });
    await expect(them.getByTestId('composer-attachment')).toContainText('cronograma.pdf');
    await ask(them, PLANNING_QUESTION);
    await expect(them.getByTestId('user-message').getByTestId('message-attachment')).toContainText('cronograma.pdf');
    await expect(them.getByTestId('assistant-message').getByTestId('specialist-card')).toHaveAttribute('data-specialist', 'project_management');
    await expectAccessible(them, 'chat with an attachment');
  } finally {
    await theirs.close();
  }

  // The admin finds that user's conversation and opens the transcript.
  await newRow.getByRole('link', { name: new RegExp(NEW_USER.name) }).click();
  await expect(page).toHaveURL(/\/admin\/conversations\?user_id=/);
  const conversationRow = page.getByTestId('admin-conversation-row');
  await expect(conversationRow).toHaveCount(1);
  await expect(conversationRow).toContainText(NEW_USER.name);
  await snap(page, 'admin-conversations');
  await expectAccessible(page, 'admin conversations');
  await conversationRow.getByRole('link').first().click();
  await expect(page).toHaveURL(/\/admin\/conversations\/[0-9a-f-]{36}$/);
  const conversationId = page.url().split('/').pop() ?? '';
  const transcript = page.getByTestId('transcript');
  await expect(transcript).toContainText(NEW_USER.name);
  await expect(transcript.getByTestId('user-message')).toContainText(PLANNING_QUESTION);
  await expect(transcript.getByTestId('specialist-card')).toHaveAttribute('data-specialist', 'project_management');
  await expect(transcript.getByTestId('delivery-status').first()).toBeVisible();
  // Admins can download any participant's file from the transcript.
  const downloading = page.waitForEvent('download');
  await transcript.getByTestId('message-attachment').getByRole('button', { name: /cronograma\.pdf/ }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('cronograma.pdf');
  // What Ignacio remembers about them, beside the transcript: read only when opened (audited).
  await page.getByTestId('admin-memory').locator('summary').click();
  await expect(page.getByTestId('admin-memory')).toContainText(/Todavía no recuerda nada|Nothing remembered/);
  await snap(page, 'admin-transcript', { fullPage: true });
  await expectAccessible(page, 'admin transcript');
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'no horizontal scrolling on a phone').toBeLessThanOrEqual(0);
  await snap(page, 'admin-transcript-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // The audit log shows that this admin viewed that transcript.
  await page.getByTestId('admin-nav').getByRole('link', { name: /auditoría|audit/i }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  // Named, not by id: the conversation's title links to it, and whose it is.
  const viewed = page
    .getByTestId('audit-row')
    .filter({ hasText: 'transcript.view' })
    .filter({ has: page.locator(`a[href="/admin/conversations/${conversationId}"]`) });
  await expect(viewed).toHaveCount(1);
  await expect(viewed).toContainText(admin.name);
  await expect(page.getByTestId('audit-row').filter({ hasText: 'user.create' })).toHaveCount(1);
  await expect(page.getByTestId('audit-row').filter({ hasText: 'memory.view' })).toHaveCount(1);
  await snap(page, 'admin-audit');
  await expectAccessible(page, 'admin audit log');
});
