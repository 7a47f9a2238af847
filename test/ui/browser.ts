import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, as .ci/run installs it; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium in a closed network, as root: no sandbox (root), no GPU, and none of the
 * background services (component updates, sync, safe browsing, QUIC probes) that would otherwise try the network.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

let shared: Promise<Browser> | undefined;

/**
 * One Chromium for every UI test (and the screenshots script), started on first use, closed when mocha ends. A
 * missing Chromium fails the tests, with how to install it: they are never skipped.
 */
export function sharedBrowser(): Promise<Browser> {
  shared ??= launchChromium();
  return shared;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`);
  }
  // Playwright starts it with a fresh temporary --user-data-dir of its own.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

export async function closeSharedBrowser(): Promise<void> {
  if (shared === undefined) return;
  const browser = await shared.catch(() => undefined);
  shared = undefined;
  await browser?.close();
}
