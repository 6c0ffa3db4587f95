// `servesim report` and `servesim dashboard` in a real headless Chromium: the report of a real (small) ledger opened
// from disk with the network cut off, an optimisation run's report, and the dashboard following an `optimize` that
// a child process writes into the same store. The screenshots are the README's pictures (docs/images/, refreshed with
// SERVESIM_UPDATE_SCREENSHOTS=1).
// Needs `npm run build` (the child process runs bin/servesim).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import { parseStrategy } from '../src/lab/strategy.js';
import { runCliCaptured } from './support/cli.js';
import { writeReportFixture } from './support/report-fixture.js';
import { CHROMIUM_ARGS, testChromium } from './support/services.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
// The README's pictures are refreshed with SERVESIM_UPDATE_SCREENSHOTS=1; ordinary runs (CI) write them to a
// temporary directory so a test run never dirties the checkout.
const IMAGES = process.env.SERVESIM_UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'images') : mkdtempSync(join(tmpdir(), 'servesim-shots-'));
const chromiumPath = testChromium();

async function cli(argv: string[], cwd: string): Promise<string> {
  const result = await runCliCaptured(argv, cwd, { SERVESIM_PROGRESS: 'plain' });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

/**
 * Screenshot of a live dashboard element: a store write that lands during the capture (the optimizer's last
 * bookkeeping) swaps the page's main part and detaches the element, so the capture is retried on the new one.
 */
async function liveScreenshot(page: Page, selector: string, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.locator(selector).screenshot({ path });
      return;
    } catch (error) {
      if (attempt === 5 || !/not attached to the DOM/.test(String(error))) throw error;
    }
  }
}

/** Console errors and failed page scripts, collected per page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Raw HTTP/1.1 request (no client-side path normalisation): status code of the answer. */
function rawStatus(port: number, requestLine: string, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${requestLine}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);
    });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe.skipIf(chromiumPath === undefined)('report and dashboard in Chromium', () => {
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = writeReportFixture();
    mkdirSync(IMAGES, { recursive: true });
    await cli(['ledger', 'ledger.yaml', '--out', 'ledger-out', '--store', 'store.sqlite', '--jobs', '1'], dir);
    await cli(['optimize', 'opt.yaml', '--store', 'store.sqlite', '--n-calls', '6', '--n-initial', '3', '--jobs', '1'], dir);
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a ledger report opens from disk offline: every row, the Δ chart with CI whiskers, ECDFs per row', async () => {
    const out = await cli(['report', 'ledger-out', '--out', 'ledger.html', '--jobs', '1'], dir);
    expect(out).toMatch(/^written: ledger\.html \(\d+ KiB, 3 sections, 3 charts, [\d.]+ s\)\n$/);
    const html = readFileSync(join(dir, 'ledger.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/); // self-contained: no script, no external resource

    const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(pathToFileURL(join(dir, 'ledger.html')).href);

    // Every ledger row is in the table, each row once.
    const ids = await page.locator('#ledger-rows tbody tr td:first-child').allTextContents();
    expect(ids).toEqual(['0', '1', '1-42']);
    expect(await page.locator('#ledger-per-seed tbody tr').count()).toBe(3);

    // The Δ chart: 2 compared rows × 4 series (3 classes + throughput) dots, CI whiskers only for the 3-seed row,
    // the seed ledger's figure as a diamond, and its axis title.
    const delta = page.locator('#ledger-delta svg');
    await expect.poll(() => delta.count()).toBe(1);
    expect(await delta.locator('g.mark-symbol.role-mark path').count()).toBe(2 * 4 + 1);
    expect(await delta.locator('g.mark-rule.role-mark line').count()).toBe(1 + 4); // the zero line + one row's whiskers
    const deltaText = (await delta.textContent()) ?? '';
    for (const label of ["change of the row's mean vs its baseline's mean (%)", 'critical TTFT P99', 'throughput', 'seed ledger figure', '1: SLO-tiered']) {
      expect(deltaText).toContain(label);
    }

    // One ECDF figure per compared row: 2 strategies × (TTFT, E2E) × 3 classes step lines, log-x axes titled in ms.
    for (const row of ['1', '1-42']) {
      const ecdf = page.locator(`#ecdf-figure-${row} svg`);
      expect(await ecdf.locator('g.mark-line.role-mark path').count()).toBe(2 * 2 * 3);
      const text = (await ecdf.textContent()) ?? '';
      expect(text).toContain('latency (ms, log scale)');
      expect(text).toContain('fraction of requests ≤ x');
      expect(text).toContain('0: Baseline');
    }
    // Per-seed P99 ticks: row 1 and its baseline on 3 seeds, 6 panels each.
    expect(await page.locator('#ecdf-figure-1 svg g.mark-rect.role-mark path').count()).toBe(2 * 3 * 6);
    expect(await page.locator('#ecdf-figure-1 figcaption').textContent()).toContain('Re-simulated from the stored configuration');

    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    await page.locator('#ledger').screenshot({ path: join(IMAGES, 'report-ledger.png') });
    await page.locator('#ecdf-1').screenshot({ path: join(IMAGES, 'report-ecdf.png') });
    await context.close();
  });

  it("an optimisation run's report: convergence, parallel coordinates, trade-off front, first vs best call", async () => {
    await cli(['report', 'store.sqlite', '--run', '1', '--out', 'run.html', '--jobs', '1'], dir);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(pathToFileURL(join(dir, 'run.html')).href);
    // 6 calls: a dot each, and the best-so-far line.
    expect(await page.locator('#run-convergence svg g.mark-symbol.role-mark path').count()).toBe(6);
    expect(await page.locator('#run-convergence svg g.mark-line.role-mark path').count()).toBe(1);
    expect(await page.locator('#run-parallel svg g.mark-line.role-mark path').count()).toBe(6);
    expect(await page.locator('#run-calls tbody tr').count()).toBe(6);
    expect(await page.locator('#run-pareto svg').textContent()).toContain('throughput (tokens/s) (maximize)');
    expect(await page.locator('#run-per-seed tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#run-ecdf svg g.mark-line.role-mark path').count()).toBeGreaterThanOrEqual(2 * 3);
    expect(errors).toEqual([]);
    await page.locator('#convergence').screenshot({ path: join(IMAGES, 'report-run-convergence.png') });
    await page.locator('#pareto').screenshot({ path: join(IMAGES, 'report-run-tradeoff.png') });
    await page.close();
  });

  describe('dashboard', () => {
    let dashboard: Dashboard;

    beforeAll(async () => {
      dashboard = await startDashboard({ storePath: join(dir, 'store.sqlite'), storeLabel: 'store.sqlite', host: '127.0.0.1', port: 0, pollMs: 250 });
    });

    afterAll(async () => {
      await dashboard?.close();
    });

    it('shows the new trials of an optimize that another process writes into the store, without a reload', async () => {
      expect(existsSync(join(REPO, 'dist', 'bundle', 'servesim.js')), 'run `npm run build` first').toBe(true);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(dashboard.url);
      await expect.poll(() => page.locator('#live').textContent()).toBe('live');
      expect(await page.locator('#runs tbody tr').count()).toBe(1);
      const evaluationsBefore = Number(/^(\d+) evaluations/.exec((await page.locator('#counts').textContent()) ?? '')?.[1]);

      const child = spawn(
        join(REPO, 'bin', 'servesim'),
        ['optimize', 'opt.yaml', '--store', 'store.sqlite', '--n-calls', '4', '--n-initial', '2', '--random-state', '7', '--jobs', '1'],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SERVESIM_PROGRESS: 'plain' } },
      );
      let childErr = '';
      child.stderr.on('data', (chunk) => (childErr += String(chunk)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

      // Live: run 2 appears and fills up while the page stays loaded (same document: no navigation happened).
      const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
      await expect.poll(() => page.locator('#runs tbody tr').count(), { timeout: 20_000 }).toBe(2);
      await expect.poll(() => page.locator('#runs tbody tr:nth-child(2) td:nth-child(4)').textContent(), { timeout: 20_000 }).toBe('4/4');
      expect(await exited, childErr).toBe(0);
      await expect.poll(() => page.locator('#runs tbody tr:nth-child(2) td:nth-child(3)').textContent(), { timeout: 5_000 }).toBe('done');
      expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);
      const evaluationsAfter = Number(/^(\d+) evaluations/.exec((await page.locator('#counts').textContent()) ?? '')?.[1]);
      expect(evaluationsAfter).toBeGreaterThan(evaluationsBefore);
      await liveScreenshot(page, '#overview', join(IMAGES, 'dashboard-store.png'));

      // The new run's view: the report's charts, and every trial's flags and strategy export.
      await page.click('#runs a[href="/run/2"]');
      await expect.poll(() => page.locator('#run-title').textContent()).toContain('Run 2: opt-small (done), 4/4 calls');
      expect(await page.locator('#run-convergence svg g.mark-symbol.role-mark path').count()).toBe(4);
      expect(await page.locator('#trial-flags tbody tr').count()).toBe(4);
      expect(await page.locator('#trial-flags pre').first().textContent()).toMatch(/^servesim run --model .* --seed 42 /);
      const yaml = await (await page.request.get(new URL('/run/2/call/1/strategy.yaml', dashboard.url).href)).text();
      expect(parseStrategy(yaml, join(dir, 'exported.yaml')).parameters).toEqual([]);
      // The distributions cost simulations: made on request, then kept across live updates.
      await page.click('#load-distributions');
      await expect.poll(() => page.locator('#run-ecdf svg g.mark-line.role-mark path').count(), { timeout: 20_000 }).toBe(2 * 2 * 3);
      expect(await page.locator('#per-seed figcaption').textContent()).toContain('Re-simulated from the stored configuration');
      const fragment = await (await page.request.get(new URL('/run/2?fragment=1', dashboard.url).href)).text();
      expect(fragment).toContain('id="run-ecdf"');
      expect(errors).toEqual([]);
      await liveScreenshot(page, 'main', join(IMAGES, 'dashboard-run.png'));
      await page.close();
    });

    it('answers only its own routes and host: traversal → 404, foreign Host → 403, no writes', async () => {
      const host = `127.0.0.1:${dashboard.port}`;
      expect(await rawStatus(dashboard.port, 'GET / HTTP/1.1', host)).toBe(200);
      expect(await rawStatus(dashboard.port, 'GET / HTTP/1.1', `localhost:${dashboard.port}`)).toBe(200);
      expect(await rawStatus(dashboard.port, 'GET /assets/dashboard.js HTTP/1.1', host)).toBe(200);
      for (const path of ['/..%2f..%2fetc/passwd', '/../../etc/passwd', '/assets/..%2f..%2fpackage.json', '/assets/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/store.sqlite', '/run/1/../../../etc/passwd']) {
        expect(await rawStatus(dashboard.port, `GET ${path} HTTP/1.1`, host), path).toBe(404);
      }
      expect(await rawStatus(dashboard.port, 'GET /run/99 HTTP/1.1', host)).toBe(404);
      // DNS rebinding: a page on another name that resolves to 127.0.0.1 sends its own name.
      expect(await rawStatus(dashboard.port, 'GET / HTTP/1.1', `evil.example:${dashboard.port}`)).toBe(403);
      expect(await rawStatus(dashboard.port, 'GET / HTTP/1.1', '127.0.0.1:1')).toBe(403);
      expect(await rawStatus(dashboard.port, 'GET / HTTP/1.1', undefined)).toBe(400); // node:http refuses HTTP/1.1 without Host
      expect(await rawStatus(dashboard.port, 'POST / HTTP/1.1', host)).toBe(405);
    });
  });
});
