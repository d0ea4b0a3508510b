/**
 * The web app end to end in headless Chromium (playwright-core) against a real platform: a wrong key is refused,
 * sign in, upload both files (after a rejected one), watch a sync run to completion, read its errors and download
 * the failed records, page through data, open profiling, switch to Turkish, rotate the key, sign out.
 * Screenshots of every page go to test-artifacts/screenshots/.
 *
 *   node --import tsx --test tests/e2e/web.test.ts          (services from scripts/services.sh in the env)
 *   E2E_BASE_URL=http://127.0.0.1:3999 E2E_API_KEY=sk_live_… node --import tsx --test tests/e2e/web.test.ts
 *                                                           (against a running server: use a fresh tenant
 *                                                            whose scheduled syncs are off)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureWebBuilt, launchBrowser, loopbackOnly, screenshot, SCREENSHOTS, tmpDir } from './fixtures.ts';
import { COLUMNS, isUsed } from '../../domain/columns.ts';
import { generateFiles, type Summary } from '../../domain/generator.ts';
import type { Platform } from '../../server/platform.ts';

let platform: Platform | null = null;
let baseUrl: string;
let apiKey: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let files: { credit: string; payment_plan: string; bad: string };
let truth: Summary;
let syncId = '';
const pageErrors: string[] = [];
let refused: string[] = [];
const T = { timeout: 20_000 };

/** Polls an async condition (the UI updates asynchronously; playwright-core has no expect()). */
async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await page.waitForTimeout(100);
  }
}

async function api(pathname: string, key: string): Promise<number> {
  const r = await fetch(baseUrl + pathname, { headers: { authorization: `Api-Key ${key}` } });
  await r.body?.cancel();
  return r.status;
}

/** Compares non-negative decimal strings without floats. */
function cmpDecimal(a: string, b: string): number {
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  if (ai.length !== bi.length) return ai.length - bi.length;
  const w = Math.max(af.length, bf.length);
  const x = ai + af.padEnd(w, '0');
  const y = bi + bf.padEnd(w, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

const fmt = (n: number) => n.toLocaleString('en-GB');

const heading = (name: string | RegExp, level = 1) => page.getByRole('heading', { name, level });
const nav = (name: string) => page.getByRole('navigation', { name: /Main|Ana menü/ }).getByRole('link', { name, exact: true });

before(async () => {
  const t0 = Date.now();
  const lap = (what: string) => console.log(`# ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // Build first: the platform serves web/dist only if it exists when it starts.
  if (ensureWebBuilt().built) lap('web app built');
  if (process.env.E2E_BASE_URL && process.env.E2E_API_KEY) {
    baseUrl = process.env.E2E_BASE_URL;
    apiKey = process.env.E2E_API_KEY;
  } else {
    const { startTestPlatform, uniqueTenantId } = await import('../helpers/platform.ts');
    platform = await startTestPlatform();
    baseUrl = platform.url!;
    const tenantId = uniqueTenantId('web');
    ({ apiKey } = await platform.tenants.create(tenantId, 'Anadolu Test Bankası'));
    // Pause the tenant's 60-second schedule: a scheduled sync must not claim the uploads before "Sync now".
    await platform.sync!.ensureSchedule(tenantId, false, 60);
  }
  lap('platform ready');
  assert.match(new URL(baseUrl).hostname, /^(127\.0\.0\.1|localhost|\[::1\])$/, 'the e2e test only talks to loopback addresses');

  const dir = tmpDir('findata-e2e-');
  truth = await generateFiles({ loanType: 'RETAIL', credits: 1500, outDir: dir, errorRate: 0.06, seed: 20250630 });
  const bad = path.join(dir, 'kredi_eksik_sütun.csv');
  fs.writeFileSync(bad, 'loan_account_number,customer_id\nL1,C1\n');
  files = { credit: path.join(dir, 'credit.csv'), payment_plan: path.join(dir, 'payment_plan.csv'), bad };

  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', reducedMotion: 'reduce', acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  refused = await loopbackOnly(page);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  lap('browser ready');
});

after(async () => {
  const t0 = Date.now();
  await browser?.close().catch(() => {});
  await platform?.close();
  console.log(`# teardown: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

describe('findata web app', { concurrency: false }, () => {
  test('a wrong key is refused with a clear message', async () => {
    await page.goto(baseUrl + '/');
    await heading('Sign in').waitFor(T);
    await page.getByLabel('API key', { exact: true }).fill(`sk_live_${'0'.repeat(48)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /This API key was not accepted/);
    assert.equal(await page.getByLabel('API key', { exact: true }).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'signin-wrong-key');
  });

  test('sign in exchanges the key for an HttpOnly cookie; the key is not kept in the browser', async () => {
    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Dashboard').waitFor(T);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.ok(!stored.includes(apiKey.slice(8, 24)), 'the API key must not be in storage or readable cookies');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'findata_session');
    assert.ok(session?.httpOnly, 'session cookie is HttpOnly');
    assert.equal(session?.sameSite, 'Strict');
    // Marker: if any later step does a full page load, it disappears.
    await page.evaluate(() => ((window as unknown as Record<string, number>).__noReload = 42));
    await page.getByText('No sync yet').first().waitFor();
    await screenshot(page, 'dashboard-empty');
  });

  test('upload: a rejected file shows its reason, then both files are accepted with a verdict', async () => {
    await nav('Upload').click();
    await heading('Upload').waitFor();
    const creditCard = page.getByRole('region', { name: 'Credits' });
    await page.getByLabel('Credits file (Retail)').setInputFiles(files.bad);
    const rejection = creditCard.getByRole('alert');
    await rejection.waitFor(T);
    assert.match(await rejection.innerText(), /Rejected[\s\S]*lacks required columns: .*customer_type/);
    await screenshot(page, 'upload-rejected');

    await page.getByLabel('Credits file (Retail)').setInputFiles(files.credit);
    await creditCard.getByText('Accepted').waitFor(T);
    assert.match(await creditCard.innerText(), new RegExp(`${fmt(truth.files.credit.rows)} rows`));
    await page.getByLabel('Payment plan file (Retail)').setInputFiles(files.payment_plan);
    const planCard = page.getByRole('region', { name: 'Payment plan' });
    await planCard.getByText('Accepted').waitFor(T);

    const pending = page.getByRole('table', { name: 'Pending uploads' });
    await pending.getByRole('row').nth(2).waitFor();
    assert.equal(await pending.getByRole('row').count(), 3, 'header + two pending uploads');
    await screenshot(page, 'upload');
  });

  test('sync now, then watch the sync progress to completion without reloading', async () => {
    await page.getByRole('button', { name: 'Sync Retail now' }).click();
    await page.waitForURL(/\/syncs\/[0-9a-f-]{36}$/, T);
    syncId = page.url().split('/').pop()!;
    await heading('Retail sync').waitFor();

    // Sample the live view every 150 ms until the outcome shows.
    const seen = new Set<string>();
    const values: number[] = [];
    let shot: Buffer | null = null;
    let goodShot = false;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (await page.getByRole('heading', { name: 'Outcome' }).isVisible()) break;
      const bar = page.getByRole('progressbar', { name: 'Sync progress' });
      if (await bar.isVisible()) {
        const v = await bar.getAttribute('aria-valuenow').catch(() => null);
        if (v !== null) values.push(Number(v));
        const step = await page.getByTestId('current-step').innerText().catch(() => '');
        if (step) seen.add(step);
        // Keep the first live frame, replaced by one taken mid-validation when we catch it.
        const mid = v !== null && Number(v) >= 10 && Number(v) <= 90;
        if ((!shot || (mid && !goodShot)) && (await page.getByRole('heading', { name: 'In progress' }).isVisible())) {
          shot = await page.screenshot({ fullPage: true });
          goodShot = mid;
        }
      }
      assert.ok(Date.now() < deadline, 'the sync did not finish in 90 s');
      await page.waitForTimeout(150);
    }
    if (shot) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      fs.writeFileSync(path.join(SCREENSHOTS, 'sync-running.png'), shot);
    }
    const badge = page.locator('.page-subtitle .badge');
    assert.equal((await badge.innerText()).trim(), 'Success');
    assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `progress never goes backwards: ${values.join(',')}`);
    console.log(`# live progress samples: ${values.length}, steps seen: ${[...seen].join(' → ') || '(finished before the first sample)'}`);
    await page.getByRole('heading', { name: 'Step timeline' }).waitFor();
    await page.getByRole('list', { name: 'Step timeline' }).getByText('Write to warehouse').waitFor(T);
    const temporal = page.getByRole('link', { name: /Open in Temporal UI/ });
    assert.match((await temporal.getAttribute('href')) ?? '', /\/namespaces\/[^/]+\/workflows\/sync-/);
    assert.equal(await temporal.getAttribute('target'), '_blank');
    const files = page.getByRole('table', { name: 'Counts per file' });
    assert.match(await files.innerText(), new RegExp(`Credits\\s+${fmt(truth.files.credit.rows)}\\s+${fmt(truth.files.credit.rows - truth.files.credit.invalid_rows)}`));
    assert.equal(await page.evaluate(() => (window as unknown as Record<string, number>).__noReload), 42, 'no full page reload');
    await screenshot(page, 'sync-detail');
  });

  test('errors of the sync: charts, a filterable table and the failed-records CSV', async () => {
    await page.getByRole('link', { name: /Read the .* errors/ }).click();
    await heading('Errors').waitFor();
    await page.getByRole('heading', { name: 'Errors by code' }).waitFor();
    await page.getByRole('img', { name: /Bar chart of errors by column/ }).waitFor();
    const table = page.getByRole('table', { name: 'Error list' });
    await table.getByRole('row').nth(1).waitFor();
    const codeSelect = page.getByLabel('Code', { exact: true });
    const options = await codeSelect.locator('option').allInnerTexts();
    const firstCode = options.find((o) => o !== 'All')!;
    await codeSelect.selectOption({ label: firstCode });
    await page.waitForURL(/code=/);
    const label = firstCode.replace(/\s*\(.*\)$/, '');
    await until(`only ${label} errors listed`, async () => {
      const codes = await table.locator('tbody .code-tag').allInnerTexts();
      return codes.length > 0 && codes.every((c) => c === label);
    });
    await screenshot(page, 'errors');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Failed records (CSV)' }).first().click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    assert.match(csv.split('\n')[0].replace(/"/g, ''), /^file_type,row,errors,loan_account_number/);
    assert.ok(csv.trim().split('\n').length > 10, 'failed records are listed');
  });

  test('data: page through warehouse rows, sort and filter', async () => {
    await nav('Data').click();
    await heading('Data').waitFor();
    const table = page.getByRole('table', { name: /Retail · Credits rows/ });
    await table.getByRole('row').nth(25).waitFor(T);
    const pager = page.getByRole('navigation', { name: 'Data pages' });
    const info = await pager.locator('.pager-info').innerText();
    const total = Number(/of ([\d,]+)/.exec(info)![1].replace(/,/g, ''));
    assert.equal(total, truth.files.credit.rows - truth.files.credit.invalid_rows, 'the valid credits are in the warehouse');
    const firstBefore = await table.locator('tbody tr').first().locator('td').first().innerText();
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText(/^26–50 of/).waitFor();
    const firstAfter = await table.locator('tbody tr').first().locator('td').first().innerText();
    assert.notEqual(firstAfter, firstBefore, 'the next page shows other rows');

    await table.getByRole('button', { name: 'Original amount' }).click();
    await page.waitForURL(/sort=original_amount/);
    await page.locator('th[aria-sort="ascending"]').waitFor();
    await page.waitForFunction(() => !document.querySelector('.table.is-loading'));
    const amountCol = COLUMNS.credit.filter((c) => isUsed(c, 'RETAIL')).findIndex((c) => c.name === 'original_amount') + 1;
    let amounts: string[] = [];
    await until('rows sorted by original amount', async () => {
      amounts = (await table.locator(`tbody tr td:nth-child(${amountCol})`).allInnerTexts()).map((s) => s.trim());
      return amounts.length === 25 && amounts.every((a, i) => i === 0 || cmpDecimal(amounts[i - 1], a) <= 0);
    });
    assert.ok(amounts.every((a) => /^\d+\.\d{2}$/.test(a)), `money shown as exact decimal strings: ${amounts.slice(0, 3)}`);

    const filters = page.locator('summary', { hasText: 'Filters' });
    await filters.click();
    await page.getByRole('group', { name: 'Loan status' }).getByLabel('RESTRUCTURED').check();
    await page.waitForURL(/loan_status=RESTRUCTURED/);
    await page.getByRole('button', { name: /Remove filter Loan status RESTRUCTURED/ }).waitFor();
    await filters.click();
    const statusCol = COLUMNS.credit.filter((c) => isUsed(c, 'RETAIL')).findIndex((c) => c.name === 'loan_status') + 1;
    await until('only RESTRUCTURED loans listed', async () => {
      const cells = await table.locator(`tbody tr td:nth-child(${statusCol})`).allInnerTexts();
      return cells.length > 0 && cells.every((c) => c.trim() === 'RESTRUCTURED');
    });
    const filtered = Number(/of ([\d,]+)/.exec(await pager.locator('.pager-info').innerText())![1].replace(/,/g, ''));
    assert.ok(filtered > 0 && filtered < total, `the filter narrows the rows: ${filtered} of ${total}`);
    await screenshot(page, 'data');
  });

  test('profiling shows per-column statistics with charts', async () => {
    await nav('Profiling').click();
    await heading('Profiling').waitFor();
    await page.getByRole('heading', { name: 'Original amount', level: 2 }).waitFor(T);
    await page.getByRole('img', { name: /Histogram of Original amount/ }).waitFor();
    await page.getByRole('img', { name: /Top values of Currency/ }).waitFor();
    assert.ok((await page.locator('canvas').count()) >= 10, 'charts are drawn');
    await screenshot(page, 'profiling');
  });

  test('sync history with filters', async () => {
    await nav('Syncs').click();
    await heading('Syncs').waitFor();
    await page.getByLabel('Status').selectOption('SUCCESS');
    await page.waitForURL(/status=SUCCESS/);
    const table = page.getByRole('table', { name: 'Sync history' });
    await table.getByRole('row').nth(1).waitFor();
    assert.match(await table.innerText(), /Success/);
    await screenshot(page, 'syncs');
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByText('No syncs match these filters').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await table.getByRole('row').nth(1).waitFor();
  });

  test('dashboard shows the latest sync, warehouse counts and the chart; Turkish switch', async () => {
    await nav('Dashboard').click();
    await heading('Dashboard').waitFor();
    await page.getByRole('img', { name: /chart of the last 1 syncs/ }).waitFor();
    await page.getByRole('article', { name: 'Retail' }).getByText('Success').waitFor();
    await screenshot(page, 'dashboard');
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.waitForTimeout(300);
    await screenshot(page, 'dashboard-tablet');
    await page.setViewportSize({ width: 1366, height: 900 });

    await page.getByRole('button', { name: 'Türkçe' }).click();
    await heading('Genel bakış').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'tr');
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['findata.lang'], 'only the language is stored');
    await screenshot(page, 'dashboard-tr');
    await page.getByRole('button', { name: 'English' }).click();
    await heading('Dashboard').waitFor();
  });

  test('settings: rotate the API key (shown once), then save a schedule with the new session', async () => {
    await nav('Settings').click();
    await heading('Settings').waitFor();
    await page.getByRole('heading', { name: 'Tenant' }).waitFor();
    await page.getByRole('button', { name: 'Rotate API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the API key?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    const keyBox = page.getByRole('textbox', { name: 'Your new API key' });
    await keyBox.waitFor(T);
    const newKey = await keyBox.inputValue();
    assert.match(newKey, /^sk_live_[0-9a-f]{48}$/);
    assert.notEqual(newKey, apiKey);
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    assert.equal(await api('/api/tenant', apiKey), 401, 'the old key stops working');
    assert.equal(await api('/api/tenant', newKey), 200, 'the new key works');
    await screenshot(page, 'settings');

    // Still signed in (cookie re-issued) and writes carry the new CSRF token.
    const row = page.getByRole('form', { name: 'Retail' });
    await row.getByLabel('Every').fill('15');
    await row.getByLabel('Unit').selectOption('min');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Retail schedule saved').waitFor();
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await keyBox.count(), 0, 'the key is gone from the page');
    apiKey = newKey;
  });

  test('a list the server cannot serve (503) is shown as an error in its card: Upload keeps its drop zones, the Dashboard stays up', async () => {
    const failing = (paths: string[]) => (u: URL) => paths.includes(u.pathname.replace(/\/$/, ''));
    const unavailable = async (route: import('playwright-core').Route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'A backing service is temporarily unavailable; retry shortly.' } }) })
        : route.fallback();
    const matcher = failing(['/api/uploads', '/api/sync/logs']);
    await page.route(matcher, unavailable);
    try {
      await nav('Upload').click();
      await heading('Upload').waitFor();
      await page.getByText('A service is temporarily unavailable. Try again shortly.').first().waitFor(T);
      assert.equal(await page.getByLabel('Credits file (Retail)').count(), 1, 'the drop zones are still there');
      assert.equal(await page.getByText('This page could not be shown').count(), 0);
      await nav('Dashboard').click();
      await heading('Dashboard').waitFor();
      await page.getByText('A service is temporarily unavailable. Try again shortly.').first().waitFor(T);
      assert.equal(await page.getByText('This page could not be shown').count(), 0);
    } finally {
      await page.unroute(matcher, unavailable);
    }
    // Once the service is back, the pages load again (without a reload: the last test checks there was none).
    await nav('Upload').click();
    await page.getByRole('table', { name: 'Pending uploads' }).or(page.getByText('No pending uploads', { exact: true })).first().waitFor(T);
    await nav('Dashboard').click();
    await page.getByRole('article', { name: 'Retail' }).getByText('Success').waitFor(T);
  });

  test('sign out ends the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
    await page.getByText('You are signed out.').waitFor();
    const r = await page.request.get(baseUrl + '/api/session');
    assert.equal(r.status(), 401);
    await screenshot(page, 'signin');
    assert.equal(await page.evaluate(() => (window as unknown as Record<string, number>).__noReload), 42, 'the whole flow ran without a page reload');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(refused, [], 'no request left the loopback interface');
  });
});
