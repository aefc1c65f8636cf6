// Headless Debian Chromium through playwright-core, with fake camera and microphone.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'];

export async function launchBrowser(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'cb-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: false, args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  return {
    context,
    async newPage() { return context.newPage(); },
    async close() { await context.close().catch(() => {}); rmSync(dir, { recursive: true, force: true }); },
  };
}
