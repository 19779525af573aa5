// Debian's headless Chromium driven by playwright-core (never a downloaded browser), as the dashboard suites
// use it: a fresh profile per launch, one page, screenshots to tests/e2e/artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { makeTempDir } from './harness.mjs';

export const CHROMIUM = process.env.TRIBUTARY_E2E_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

// For describe(…, { skip }): false when Chromium is there, else why the suite is skipped.
export const skipWithoutChromium = !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`;

// Launches Chromium with a profile of its own; resolves to its context and first page, with `timeoutMs` as
// every action's default timeout.
export async function launchBrowser({ timeoutMs, height = 860 }) {
  const context = await chromium.launchPersistentContext(makeTempDir('tributary-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1366, height },
  });
  context.setDefaultTimeout(timeoutMs);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
