/* global window, document, MutationObserver -- these functions run inside the page */
// Cold visits on an emulated phone network, for bench/phone_load.py (which starts the app and
// passes a JSON config as the only argument). Prints one JSON line: milliseconds from navigation
// start until the watched element is in the page, per visit.
import { chromium } from '@playwright/test';

const config = JSON.parse(process.argv[2]);
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1600 * 1000) / 8, uploadThroughput: (750 * 1000) / 8 };

// Records, inside the page, when the first element matching the selector is added (a
// MutationObserver sees React's commit; no polling delay from the test side).
function watch(selector) {
  const seen = () => {
    if (window.__seenAt === undefined && document.querySelector(selector)) window.__seenAt = performance.now();
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
}

async function visit(browser, url, selector, prepare) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  if (prepare) await prepare(context);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', NETWORK);
  if (config.cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: config.cpu });
  await page.addInitScript(watch, selector);
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__seenAt !== undefined, null, { timeout: 30_000, polling: 50 });
  const at = await page.evaluate(() => window.__seenAt);
  await context.close();
  return Math.round(at);
}

const browser = await chromium.launch({ executablePath: config.chromium, args: ['--no-sandbox'] });
const signIn = [];
const deepLink = [];
try {
  for (let i = 0; i < config.runs; i += 1) {
    signIn.push(await visit(browser, `${config.base}/login`, '[data-testid="request-code"]'));
    const token = config.refreshTokens[i];
    deepLink.push(
      await visit(browser, `${config.base}/c/${config.conversation}`, '[data-testid="assistant-message"]', async (context) => {
        const { hostname } = new URL(config.base);
        await context.addCookies([{ name: 'ignacio_refresh', value: token, domain: hostname, path: '/auth', httpOnly: true, sameSite: 'Strict' }]);
        await context.addInitScript(() => window.localStorage.setItem('ignacio.session', '1'));
      }),
    );
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ sign_in: signIn, deep_link: deepLink }));
