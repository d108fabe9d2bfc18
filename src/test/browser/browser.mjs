// What the page scripts share: the service they drive (PHREG_URL, PHREG_API_KEY, from
// ai.phreg.WebPageBrowserTests), Debian's Chromium (CHROMIUM, default /usr/bin/chromium),
// numbered checks, screenshots into PHREG_SCREENSHOTS, and the verdict: exit 0 after
// "ALL CHECKS PASSED", 1 with the failed check or any script error, failed request or
// console error the page had on the way.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const base = process.env.PHREG_URL;
export const screenshots = process.env.PHREG_SCREENSHOTS;
const apiKey = process.env.PHREG_API_KEY;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

/** How long a job may take to run on the demo teacher, and the page to show anything. */
export const JOB_MILLIS = 5 * 60_000;
const UI_MILLIS = 30_000;

export function check(condition, message) {
  if (!condition) throw new Error('check failed: ' + message);
  console.log('ok - ' + message);
}

/**
 * Runs {@code script(page, shot)} on a fresh page of a new browser: {@code shot(name)}
 * keeps a full-page screenshot as {@code name.png}; a failure's is {@code <prefix>failure.png}.
 */
export async function inChromium(prefix, script) {
  mkdirSync(screenshots, { recursive: true });
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const failures = [];
  const page = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } }))
    .newPage();
  page.setDefaultTimeout(UI_MILLIS);
  page.on('pageerror', (error) => failures.push('page error: ' + error.message));
  page.on('console', (message) => { if (message.type() === 'error') failures.push('console: ' + message.text()); });
  page.on('response', (response) => { if (response.status() >= 400) failures.push(response.status() + ' ' + response.url()); });
  const shot = (name) => page.screenshot({ path: join(screenshots, prefix + name + '.png'), fullPage: true });
  try {
    await script(page, shot);
    check(failures.length === 0, 'no script errors on the page' + (failures.length ? ': ' + failures.join('; ') : ''));
    console.log('ALL CHECKS PASSED');
  }
  catch (error) {
    console.log('FAILED: ' + error.message);
    await shot('failure').catch(() => {});
    process.exitCode = 1;
  }
  finally {
    await browser.close();
  }
}

/** Opens the list, enters the API key once for the session and waits for the form's defaults. */
export async function openWithApiKey(page) {
  await page.goto(base + '/');
  await page.fill('#api-key', apiKey);
  await page.click('#api-key-form button');
  await page.waitForSelector('#api-key-state:text("kept for this session")');
  check(await page.evaluate(() => sessionStorage.getItem('phreg.apiKey')) === apiKey, 'the API key is kept in sessionStorage');
  await page.waitForSelector('#submit-form[data-ready="true"]');
}
