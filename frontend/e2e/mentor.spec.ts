/**
 * Mentors in the loop, from the browser: a mentor takes a participant's web conversation over
 * (Pause AI, writes as themselves, Resume) while the participant sees "Mentor · Name" and no AI
 * answer; the attention queue shows the participant's 👎 and resolving removes it; an admin
 * promotes the rated turn into an eval case.
 */
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y';
import { appUrl, docShot, seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

test('a mentor pauses, replies and resumes; the queue item resolves; an admin promotes the turn', async ({ browser, page, request }) => {
  const { mentor_mentor: mentor, mentor_admin: admin, mentor_participant: participant } = await seededUsers(request);

  // The participant asks on the web and marks the answer 👎 with a reason.
  const theirs = await browser.newContext({ baseURL: appUrl() });
  const them = await theirs.newPage();
  await them.goto('/');
  await signIn(them, request, participant);
  await them.getByTestId('new-conversation').click();
  await them.getByTestId('message-input').fill('¿Cómo preparo el pitch para el jurado?');
  await them.getByTestId('send-button').click();
  const answer = them.getByTestId('assistant-message').last();
  await expect(answer).toBeVisible();
  await expect(them.getByTestId('streaming-message')).toHaveCount(0);
  const answerId = (await answer.getAttribute('data-message-id')) ?? '';
  await answer.getByTestId('feedback-down').click();
  await them.getByTestId('feedback-tag-unclear').click();
  const rated = them.waitForResponse((r) => r.url().includes('/feedback') && r.ok());
  await them.getByTestId('feedback-send').click();
  await rated;
  await expect(them.getByTestId('feedback-reason')).toHaveCount(0);

  // The mentor's queue shows it, in words, with the count in the navigation.
  await page.goto('/staff/queue');
  await signIn(page, request, mentor);
  const item = page.getByTestId('queue-item').filter({ hasText: participant.name });
  await expect(item).toHaveAttribute('data-kind', 'thumbs_down');
  await expect(item).toContainText(/Respuesta marcada|Answer marked/);
  await expect(page.getByTestId('staff-link-count')).toBeVisible();
  await expectAccessible(page, 'attention queue');
  await docShot(page, 'mentor-queue');

  // Opened at the exact message; the mentor pauses the AI.
  await item.getByTestId('queue-open').click();
  await expect(page.locator(`[data-message-id="${answerId}"]`)).toHaveClass(/is-search-match/);
  await page.getByTestId('pause-ai').click();
  await expect(page.getByTestId('resume-ai')).toBeVisible();

  // The participant writes: no AI answer, the note says a mentor has it, the mentor sees it live.
  const answersBefore = await them.getByTestId('assistant-message').count();
  await them.getByTestId('message-input').fill('¿Hay alguien ahí?');
  await them.getByTestId('send-button').click();
  await expect(them.getByTestId('with-mentor')).toBeVisible();
  await expect(page.getByTestId('staff-messages')).toContainText('¿Hay alguien ahí?');

  // The mentor replies as themselves; the participant sees "Mentor · Marta Mentora".
  await page.getByTestId('mentor-input').fill('Hola Pedro, soy Marta. Lo vemos juntos mañana.');
  await page.getByTestId('mentor-send').click();
  await expect(page.getByTestId('staff-messages').getByTestId('mentor-message')).toContainText('Lo vemos juntos');
  const reply = them.getByTestId('mentor-message');
  await expect(reply.getByTestId('mentor-author')).toHaveText(`Mentor · ${mentor.name}`);
  await expect(them.getByTestId('assistant-message')).toHaveCount(answersBefore);
  await expectAccessible(page, 'staff transcript, AI paused');
  await docShot(page, 'mentor-transcript-paused');

  // A wide table on a phone scrolls sideways inside the message; its words stay whole.
  const plan = [
    '| Día | Tarea | Responsable | Entregable |',
    '|---|---|---|---|',
    '| Lunes | Entrevistas con jurados anteriores | Pedro | Notas de las entrevistas |',
    '| Miércoles | Ensayo del pitch con cronómetro | Marta y Pedro | Vídeo del ensayo |',
    '| Viernes | Versión final de las diapositivas | Pedro | Presentación definitiva |',
  ].join('\n');
  await page.getByTestId('mentor-input').fill(`Plan para esta semana:\n\n${plan}`);
  await page.getByTestId('mentor-send').click();
  await them.setViewportSize({ width: 390, height: 844 });
  const table = them.getByTestId('mentor-message').last().locator('.md-table');
  await expect(table).toContainText('Presentación definitiva');
  const fits = await table.evaluate((el) => ({ scrolls: el.scrollWidth > el.clientWidth, page: document.documentElement.scrollWidth }));
  expect(fits.scrolls).toBe(true); // the table scrolls, not the page
  expect(fits.page).toBeLessThanOrEqual(390);
  const cell = table.locator('td', { hasText: 'Entregable' }).or(table.locator('th', { hasText: 'Entregable' })).first();
  expect((await cell.boundingBox())?.height ?? 0).toBeLessThan(40); // one line: not broken mid-word
  await table.scrollIntoViewIfNeeded();
  await expectAccessible(them, 'participant on a phone, a wide table');
  await docShot(them, 'chat-phone-table');

  await page.getByTestId('resume-ai').click();
  await expect(page.getByTestId('pause-ai')).toBeVisible();
  await theirs.close();

  // Resolving with a note removes the item.
  await page.goto('/staff/queue');
  const again = page.getByTestId('queue-item').filter({ hasText: participant.name });
  await again.getByTestId('queue-resolve').click();
  await page.getByTestId('resolve-note').fill('Hablado con Pedro.');
  await page.getByTestId('resolve-save').click();
  await expect(page.getByTestId('queue-item').filter({ hasText: participant.name })).toHaveCount(0);

  // An admin promotes the rated turn into an eval case.
  const adminContext = await browser.newContext({ baseURL: appUrl() });
  const adminPage = await adminContext.newPage();
  await adminPage.goto('/staff/conversations');
  const token = await signIn(adminPage, request, admin);
  await adminPage.getByTestId('admin-conversation-row').filter({ hasText: participant.name }).first().getByRole('link').first().click();
  await adminPage.locator(`[data-message-id="${answerId}"]`).waitFor();
  await adminPage.getByTestId('promote-button').first().click();
  const dialog = adminPage.getByTestId('promote-dialog');
  await expect(dialog.getByTestId('promote-keep-details')).not.toBeChecked();
  await dialog.getByTestId('promote-expected').selectOption('marketing');
  await dialog.getByTestId('promote-notes').fill('Pitch: debería responder marketing.');
  await expectAccessible(adminPage, 'promote dialog');
  await docShot(adminPage, 'mentor-promote');
  await dialog.getByTestId('promote-save').click();
  await expect(dialog).toHaveCount(0);
  const cases = await request.get(`${appUrl()}/mentor/eval-cases`, { headers: { Authorization: `Bearer ${token.access_token}` } });
  expect(cases.ok()).toBe(true);
  const promoted = ((await cases.json()) as { message_id: string | null }[]).filter((c) => c.message_id === answerId);
  expect(promoted.length).toBeGreaterThan(0);
  await adminContext.close();
});
