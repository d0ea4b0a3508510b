/**
 * Helpers of the web end-to-end test: build the web app when stale, launch headless Chromium (loopback only),
 * generate sample loan files, and save screenshots under test-artifacts/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB = path.join(REPO, 'web');
export const SCREENSHOTS = path.join(REPO, 'test-artifacts', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

/** Builds web/dist when index.html is missing or older than any source the bundle is made of. */
export function ensureWebBuilt(): { built: boolean } {
  const index = path.join(WEB, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(WEB, 'src')),
    newestMtime(path.join(WEB, 'public')),
    newestMtime(path.join(WEB, 'index.html')),
    newestMtime(path.join(WEB, 'vite.config.ts')),
    newestMtime(path.join(REPO, 'domain', 'columns.ts')),
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return { built: false };
  const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit', env: process.env });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status})`);
  return { built: true };
}

/**
 * Headless Chromium. playwright-core's launch() always starts from a fresh temporary profile (its own
 * --user-data-dir, deleted on close), so nothing leaks between runs.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it (apt-get install chromium) or set CHROMIUM_PATH; CI installs it.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/** Refuses any request that is not to a loopback address (the app must not need the internet). */
export async function loopbackOnly(page: Page): Promise<string[]> {
  const refused: string[] = [];
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return route.continue();
    refused.push(u.href);
    return route.abort();
  });
  return refused;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
