import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless; without the background-networking flags it reaches for Google's hosts at start. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Where screenshots go: the README's copies in docs/ with UPDATE_SCREENSHOTS=1, else test-results/ (a run never rewrites tracked files). */
export const SHOTS = path.join(__dirname, '..', '..', process.env.UPDATE_SCREENSHOTS ? 'docs' : 'test-results');

/** Launches the browser the browser tests drive; no browser is downloaded. */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}. Install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
