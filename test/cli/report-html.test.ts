// report.html opened in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
// never a downloaded browser): it loads offline with no request but itself, no script error, and
// every chart renders — each chart's pixels, screenshotted from the page, hold real ink in several
// colours, and the bars, histograms and curves have the sizes the numbers say.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, EXAMPLE } from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Without chromium the suite is skipped locally; CI installs it (.ci/run), so there it must run.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';

let dir: string;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-html-'));
  const runs = await Promise.all([
    cli(['demo', '--limit', '1000', '--sensitivity-limit', '300', '--sparsity', '0.8,0.9', '--calibration-images', '256', '--report', 'demo.html'], dir),
    cli(['prune', EXAMPLE, '-o', 'pruned', '-s', '0.9', '--scope', 'global', '--report', 'prune.html'], dir),
  ]);
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  const inspect = await cli(['inspect', 'pruned', '--report', 'inspect.html'], dir);
  expect(inspect.code, inspect.stderr).toBe(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

async function open(file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(path.join(dir, file)).href, { waitUntil: 'load' });
  // For a person checking by eye: TFJS_PRUNE_SCREENSHOTS=dir keeps full-page screenshots.
  if (process.env.TFJS_PRUNE_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.TFJS_PRUNE_SCREENSHOTS, file.replace(/\.html$/, '.png')), fullPage: true });
  return { page, requests, errors };
}

/** Pixels of each chart as drawn on the page: the share of non-white pixels and the colours used. */
async function chartPixels(page: Page): Promise<{ cls: string; width: number; height: number; ink: number; colors: number }[]> {
  const charts = page.locator('svg.chart');
  const out = [];
  for (let i = 0; i < (await charts.count()); i++) {
    const chart = charts.nth(i);
    const png = (await chart.screenshot()).toString('base64');
    const stats = await page.evaluate(async (b64) => {
      const img = new Image();
      await new Promise((ok, err) => {
        img.onload = ok;
        img.onerror = err;
        img.src = `data:image/png;base64,${b64}`;
      });
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      const colors = new Set<number>();
      for (let p = 0; p < d.length; p += 4) {
        if (d[p] < 235 || d[p + 1] < 235 || d[p + 2] < 235) ink++;
        colors.add(((d[p] >> 5) << 6) | ((d[p + 1] >> 5) << 3) | (d[p + 2] >> 5));
      }
      return { width: c.width, height: c.height, ink: ink / (d.length / 4), colors: colors.size };
    }, png);
    out.push({ cls: (await chart.getAttribute('class')) ?? '', ...stats });
  }
  return out;
}

describe.skipIf(!haveChromium)('report.html in Chromium', () => {
  it('the demo report: accuracy table, sparsity bars, histograms, sizes and sensitivity curves', async () => {
    const { page, requests, errors } = await open('demo.html');
    expect(requests).toEqual([pathToFileURL(path.join(dir, 'demo.html')).href]); // offline: nothing fetched
    expect(errors).toEqual([]);
    for (const id of ['evaluation', 'sparsity', 'histograms', 'sizes', 'sensitivity', 'tensors']) await expect(page.locator(`section#${id}`).isVisible()).resolves.toBe(true);

    const classes = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getAttribute('class')));
    expect(classes).toEqual(['chart methods', 'chart sparsity', 'chart histogram', 'chart histogram', 'chart histogram', 'chart sizes', 'chart sensitivity']);
    for (const c of await chartPixels(page)) {
      expect(c.width, c.cls).toBeGreaterThan(200);
      expect(c.height, c.cls).toBeGreaterThan(80);
      expect(c.ink, c.cls).toBeGreaterThan(0.02); // bars, lines and text, not a blank box
      expect(c.ink, c.cls).toBeLessThan(0.9);
      expect(c.colors, c.cls).toBeGreaterThanOrEqual(3);
    }

    // Bars as long as the numbers: fc1/kernel's sparsity after 90% global is over 90%.
    const bars = await page.locator('svg.sparsity rect.bar.after').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(bars).toHaveLength(3);
    const plot = 440; // sparsityChart's plot width for 100%
    const data = JSON.parse((await page.locator('#report-data').textContent())!);
    const pruned = data.report.tensors.filter((t: { method: string | null }) => t.method !== null);
    bars.forEach((w, i) => expect(w).toBeCloseTo(pruned[i].sparsity * plot, -1));
    // Histograms: before (grey) and after (blue) bars in each; after has no bar left of the
    // threshold: every survivor's |w| is at least the threshold, so each blue bar (a bin of nonzero
    // magnitudes, plus its 0.5 px gap) ends right of the dashed line; grey bars do lie left of it.
    for (const h of await page.locator('svg.histogram').all()) {
      expect(await h.locator('rect.bar.before').count()).toBeGreaterThan(5);
      expect(await h.locator('rect.bar.after').count()).toBeGreaterThan(3);
      expect(await h.locator('line.threshold').count()).toBe(1);
      const tx = Number(await h.locator('line.threshold').getAttribute('x1'));
      const ends = (cls: string) => h.locator(`rect.bar.${cls}`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('x')) + Number(e.getAttribute('width')) + 0.5));
      expect(Math.min(...(await ends('after')))).toBeGreaterThan(tx);
      expect(Math.min(...(await ends('before')))).toBeLessThan(tx);
    }
    // One curve per pruned tensor, 0% plus 7 sparsities each; the table below has the same rows.
    const curves = await page.locator('svg.sensitivity polyline').evaluateAll((els) => els.map((e) => e.getAttribute('points')!.split(' ').length));
    expect(curves).toEqual([8, 8, 8]);
    expect(await page.locator('section#sensitivity tbody tr').count()).toBe(3);
    // original, 80%, 90%, 90% + uint8, then activation and reconstruct at 80% and 90%
    expect(await page.locator('section#evaluation tbody tr').count()).toBe(8);
    // Accuracy against sparsity, one curve per method (magnitude, activation, reconstruct), each
    // from the dense model at 0% through 80% and 90%; the legend names them.
    const methodCurves = await page.locator('section#evaluation svg.methods polyline').evaluateAll((els) => els.map((e) => e.getAttribute('points')!.split(' ').length));
    expect(methodCurves).toEqual([3, 3, 3]);
    const chartText = (await page.locator('section#evaluation svg.methods').textContent()) ?? '';
    for (const m of ['magnitude', 'activation', 'reconstruct']) expect(chartText).toContain(m);
    expect(await page.locator('section#tensors tbody tr').count()).toBe(6);
    await page.close();
  });

  it('the prune report and the inspect report of its output', async () => {
    for (const file of ['prune.html', 'inspect.html']) {
      const { page, requests, errors } = await open(file);
      expect(requests).toHaveLength(1);
      expect(errors).toEqual([]);
      const classes = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getAttribute('class')));
      expect(classes).toEqual(['chart sparsity', 'chart histogram', 'chart histogram', 'chart histogram', 'chart sizes']);
      for (const c of await chartPixels(page)) {
        expect(c.ink, `${file} ${c.cls}`).toBeGreaterThan(0.02);
        expect(c.colors, `${file} ${c.cls}`).toBeGreaterThanOrEqual(3);
      }
      // inspect has no "after": one histogram series per tensor, no threshold.
      const after = await page.locator('svg.histogram rect.bar.after').count();
      const thresholds = await page.locator('svg.histogram line.threshold').count();
      if (file === 'inspect.html') expect([after, thresholds]).toEqual([0, 0]);
      else expect([after > 10, thresholds]).toEqual([true, 3]);
      await expect(page.locator('h1').textContent()).resolves.toMatch(file === 'prune.html' ? /Pruning report: mnist-mlp/ : /Model report: pruned/);
      await page.close();
    }
  });
});
