/**
 * Accessibility checks the browser tests share: axe-core on the screen as it is now, in the
 * light and the dark theme, failing on any violation of impact serious or critical (the ones
 * that stop someone from using the screen: missing labels, unreadable contrast, unreachable
 * content). Call it on every screen a test visits:
 *
 *   await expectAccessible(page, 'chat with an answer');
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

export type Theme = 'light' | 'dark';

const BLOCKING = new Set(['serious', 'critical']);
const THEMES: readonly Theme[] = ['light', 'dark'];

/**
 * Shows the app in `theme` as a system set to it would, and as the app's toggle does (the
 * `data-theme` attribute on <html>), with motion reduced so no colour is caught mid-transition.
 */
async function showTheme(page: Page, theme: Theme): Promise<void> {
  await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
  await page.evaluate((value) => {
    document.documentElement.dataset.theme = value;
  }, theme);
}

interface Shown {
  theme: Theme;
  system: Theme;
  reducedMotion: boolean;
}

async function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => ({
    theme: document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light',
    system: matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
    reducedMotion: matchMedia('(prefers-reduced-motion: reduce)').matches,
  }));
}

async function restore(page: Page, before: Shown): Promise<void> {
  await page.emulateMedia({ colorScheme: before.system, reducedMotion: before.reducedMotion ? 'reduce' : 'no-preference' });
  await page.evaluate((value) => {
    document.documentElement.dataset.theme = value;
  }, before.theme);
}

function describe(violations: Awaited<ReturnType<AxeBuilder['analyze']>>['violations']): string[] {
  return violations.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
}

/** What one check may take on a loaded machine (two axe runs); added to the test's own budget. */
const CHECK_BUDGET_MS = 20_000;

/** Runs axe on `page` in both themes and fails listing every serious or critical violation. */
export async function expectAccessible(page: Page, screen: string, options: { exclude?: string[] } = {}): Promise<void> {
  test.info().setTimeout(test.info().timeout + CHECK_BUDGET_MS);
  const before = await shown(page);
  try {
    for (const theme of THEMES) {
      await showTheme(page, theme);
      let builder = new AxeBuilder({ page });
      for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
      const { violations } = await builder.analyze();
      const blocking = violations.filter((v) => BLOCKING.has(v.impact ?? ''));
      expect(describe(blocking), `axe on "${screen}" (${theme} theme)`).toEqual([]);
    }
  } finally {
    await restore(page, before);
  }
}
