/**
 * An admin takes a transcript away: a Markdown file of the conversation, and a print (or PDF)
 * that holds the transcript alone, without the app's navigation and controls.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { seededUsers, signIn } from './helpers';

test.use({ baseURL: process.env.IGNACIO_E2E_APP });

test('an admin downloads a transcript as Markdown and prints it without the app around it', async ({ page, request }) => {
  const { export_admin, participant } = await seededUsers(request);
  await page.goto('/admin/conversations');
  await signIn(page, request, export_admin);
  const row = page.getByTestId('admin-conversation-row').filter({ hasText: participant.name }).first();
  await row.getByRole('link').first().click();
  const transcript = page.getByTestId('transcript');
  await expect(transcript.getByTestId('user-message').first()).toBeVisible();
  const firstQuestion = (await transcript.getByTestId('user-message').first().locator('.msg__bubble').innerText()).replace(/^\s*Tú:\s*/, '').trim();

  const downloading = page.waitForEvent('download');
  await page.getByTestId('transcript-markdown').click();
  const file = await downloading;
  expect(file.suggestedFilename()).toMatch(/^[\w-]+-[0-9a-f]{8}\.md$/);
  const markdown = readFileSync(await file.path(), 'utf8');
  expect(markdown).toMatch(/^# .+\n/);
  expect(markdown).toContain(`- Participante: ${participant.name}`);
  expect(markdown).toContain(`### ${participant.name} · `);
  expect(markdown).toContain('### Ignacio · ');
  expect(markdown).toContain(`> ${firstQuestion.split('\n')[0]}`);

  // Print: the transcript stays, the app's chrome goes.
  await page.emulateMedia({ media: 'print' });
  await expect(transcript).toBeVisible();
  for (const chrome of ['.topbar', '[data-testid="admin-nav"]', '.back-link', '[data-testid="transcript-print"]']) {
    await expect(page.locator(chrome).first()).toBeHidden();
  }
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  await page.emulateMedia({ media: 'screen' });
  await expect(page.locator('.topbar')).toBeVisible();
});
