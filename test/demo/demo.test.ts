// The in-browser demo (demo/, `npm run demo`) driven in headless Chromium (Debian's
// /usr/bin/chromium via playwright-core; never a downloaded browser). `node scripts/serve-demo.mjs`
// builds the page into a temp directory and serves it; the test moves the slider and switches
// methods like a user, and checks every figure shown against the Node API on the same model, the
// same MNIST test slice and the same tfjs backend: pruneArtifacts' report (sparsity, sizes) and the
// pruned model's accuracy. A screenshot, decoded here, must show the charts drawn.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts, loadMnist, type MnistData, type ModelArtifacts } from '../../src/node.js';
import { pruneArtifacts, type ModelPruneReport } from '../../src/tfjs.js';
import { configOf, type DemoMethod } from '../../demo/protocol.js';
import { SERIES } from '../../demo/chart.js';
import { decodePng, type Image } from './png.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Without chromium the suite is skipped locally; CI installs it (.ci/run), so there it must run.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
/** Test images the page ships (scripts/build-demo.mjs DEFAULT_LIMIT). */
const COUNT = 2000;

let dir: string;
let server: ChildProcess | undefined;
let url: string;
let browser: Browser;
let artifacts: ModelArtifacts;
let mnist: MnistData;

/** `node scripts/serve-demo.mjs --dir <tmp> --port 0`: builds (the directory is new), serves, prints the address. */
function serve(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/serve-demo.mjs', '--dir', dir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /tfjs-prune demo: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`serve-demo exited with ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  if (!haveChromium) return;
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-demo-'));
  const served = serve();
  await tf.setBackend('wasm');
  await tf.ready();
  await init();
  [artifacts, mnist] = await Promise.all([loadArtifacts(path.join(ROOT, 'examples/mnist-mlp')), loadMnist({ split: 'test', limit: COUNT })]);
  // The Node side's figures, computed while the page builds and loads (awaited where compared).
  for (const [method, sparsity] of [['layer', 0.5], ['layer', 0.9], ['global', 0.9], ['2:4', 0.9]] as const) reference(method, sparsity).catch(() => {});
  url = await served;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Correct top-1 predictions of the layers model in `a` on the slice, in batches of 1000 as the worker does. */
async function nodeCorrect(a: ModelArtifacts): Promise<number> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(a));
  let correct = 0;
  for (let start = 0; start < mnist.count; start += 1000) {
    const size = Math.min(1000, mnist.count - start);
    const pred = tf.tidy(() => tf.argMax(model.predict(tf.tensor2d(mnist.images.subarray(start * 784, (start + size) * 784), [size, 784])) as tf.Tensor, -1));
    const v = await pred.data();
    pred.dispose();
    for (let i = 0; i < size; i++) if (v[i] === mnist.labels[start + i]) correct++;
  }
  model.dispose();
  return correct;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

/** What the page's own thread does, recorded before its scripts run (init scripts do not run in workers). */
interface Probe {
  /** Prune requests posted to the worker, as 'method:sparsity'. */
  posted: string[];
  /** Results the page was handed, as 'method:sparsity'. */
  delivered: string[];
  /** While true, results from the worker are held back (the page sees its request still in flight). */
  hold: boolean;
  release: () => void;
  /** WebAssembly compiles and instantiations on the page's thread. */
  wasmCalls: number;
}

function probe(): void {
  const w = window as unknown as { probe: Probe };
  const held: (() => void)[] = [];
  w.probe = { posted: [], delivered: [], hold: false, release: () => { w.probe.hold = false; for (const f of held.splice(0)) f(); }, wasmCalls: 0 };
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming'] as const) {
    const orig = WebAssembly[name] as (...a: unknown[]) => unknown;
    (WebAssembly as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      w.probe.wasmCalls++;
      return orig.apply(WebAssembly, a);
    };
  }
  const Base = window.Worker;
  window.Worker = class extends Base {
    postMessage(m: unknown, ...rest: unknown[]): void {
      const r = m as { type?: string; method?: string; sparsity?: number };
      if (r?.type === 'prune') w.probe.posted.push(`${r.method}:${r.sparsity}`);
      (super.postMessage as (...a: unknown[]) => void)(m, ...rest);
    }
    set onmessage(f: ((e: MessageEvent) => void) | null) {
      super.onmessage = f === null ? null : (e: MessageEvent) => {
        const d = e.data as { type?: string; request?: { method: string; sparsity: number } };
        const deliver = () => {
          if (d?.type === 'result') w.probe.delivered.push(`${d.request!.method}:${d.request!.sparsity}`);
          f.call(this, e);
        };
        if (d?.type === 'result' && w.probe.hold) held.push(deliver);
        else deliver();
      };
    }
    get onmessage() {
      return super.onmessage;
    }
  };
}

async function open(query = ''): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1250, height: 1000 } });
  await page.addInitScript(probe);
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url + query);
  return { page, errors, requests };
}

/** Waits until the page shows the result of this request and nothing else is pending. */
async function shown(page: Page, method: DemoMethod, sparsity?: number): Promise<void> {
  const sel = `body[data-state="idle"] #figures[data-method="${method}"]` + (sparsity === undefined ? '' : `[data-sparsity="${sparsity}"]`);
  await page.locator(sel).waitFor({ timeout: 60_000 });
}

const references = new Map<string, Promise<{ report: ModelPruneReport; correct: number }>>();
let chain: Promise<unknown> = Promise.resolve();

/** pruneArtifacts with the page's config, and the pruned model's correct count, in Node (one at a time, memoized). */
function reference(method: DemoMethod, sparsity: number): Promise<{ report: ModelPruneReport; correct: number }> {
  const key = `${method}:${sparsity}`;
  let r = references.get(key);
  if (r === undefined) {
    r = chain.then(async () => {
      const { artifacts: pruned, report } = await pruneArtifacts(artifacts, configOf({ method, sparsity }));
      return { report, correct: await nodeCorrect(pruned) };
    });
    chain = r.catch(() => {});
    references.set(key, r);
  }
  return r;
}

/** Every figure on the page against pruneArtifacts and tfjs in Node, for one request. */
async function expectFigures(page: Page, method: DemoMethod, sparsity: number): Promise<ModelPruneReport> {
  const { report, correct } = await reference(method, sparsity);
  const text = (sel: string) => page.locator(sel).textContent();
  const data = (sel: string, key: string) => page.locator(sel).getAttribute(`data-${key}`);
  expect(await data('#figures', 'count')).toBe(String(COUNT));
  expect(await data('#figures', 'correct')).toBe(String(correct));
  expect(await text('#correct')).toBe(`${correct} / ${COUNT}`);
  expect(await text('#accuracy')).toBe(pct(correct / COUNT));
  expect(await text('#sparsity-pruned')).toBe(pct(report.totals.prunedSparsity));
  expect(await text('#sparsity-model')).toBe(pct(report.totals.sparsity));
  expect(Number(await data('#size-raw', 'bytes'))).toBe(report.bytes.after.raw);
  expect(Number(await data('#size-gzip', 'bytes'))).toBe(report.bytes.after.gzip);
  expect(Number(await data('#size-uint8', 'bytes'))).toBe(report.bytes.quantized.gzip);
  expect(await text('#size-gzip')).toContain(`${report.bytes.after.gzip!.toLocaleString('en-US')} B`);
  const rows = await page.locator('#tensors tbody tr').evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.name, Number((tr as HTMLElement).dataset.sparsity)]));
  expect(rows).toEqual(report.tensors.map((t) => [t.name, t.sparsity]));
  return report;
}

/** Pixels of an element's box in a screenshot: share that is not near-white, and counts near given colours. */
function inkIn(img: Image, box: { x: number; y: number; width: number; height: number }, colors: string[]): { ink: number; near: number[] } {
  const rgb = colors.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  let ink = 0;
  let n = 0;
  const near = colors.map(() => 0);
  for (let y = Math.floor(box.y); y < Math.min(img.height, box.y + box.height); y++) {
    for (let x = Math.floor(box.x); x < Math.min(img.width, box.x + box.width); x++) {
      const p = (y * img.width + x) * 4;
      const [r, g, b] = [img.data[p], img.data[p + 1], img.data[p + 2]];
      n++;
      if (r < 235 || g < 235 || b < 235) ink++;
      rgb.forEach(([cr, cg, cb], i) => {
        if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 40) near[i]++;
      });
    }
  }
  return { ink: ink / n, near };
}

describe.skipIf(!haveChromium)('the in-browser demo', () => {
  it('prunes in a worker as the slider moves, shows what the Node API computes, and draws its charts', async () => {
    const { page, errors, requests } = await open();
    await shown(page, 'layer', 0.5); // the first result comes unasked, at the slider's start
    const engine = page.locator('#engine');
    expect(await engine.getAttribute('data-simd')).toBe('true'); // Chromium runs Wasm SIMD
    expect(await engine.getAttribute('data-backend')).toBe('wasm');
    expect(await engine.textContent()).toContain('WebAssembly SIMD build');
    expect(page.workers()).toHaveLength(1);
    const dense = await nodeCorrect(artifacts);
    expect(await page.locator('#dense-correct').textContent()).toBe(`${dense} / ${COUNT}`);

    // Drag by keyboard: End (99 %), then 9 steps left; each step is an input event. The result of
    // the first is held back from the page until the drag ends, so the other nine all arrive while
    // a request is in flight: only the newest of them (90 %) may be sent, then shown.
    const probed = () => page.evaluate(() => (window as unknown as { probe: Probe }).probe);
    expect(await probed()).toMatchObject({ posted: ['layer:0.5'], delivered: ['layer:0.5'] });
    await page.evaluate(() => void ((window as unknown as { probe: Probe }).probe.hold = true));
    const slider = page.locator('#sparsity');
    await slider.focus();
    await page.keyboard.press('End');
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowLeft');
    expect(await slider.inputValue()).toBe('0.9');
    expect((await probed()).posted).toEqual(['layer:0.5', 'layer:0.99']);
    await page.evaluate(() => (window as unknown as { probe: Probe }).probe.release());
    await shown(page, 'layer', 0.9);
    const layer = await expectFigures(page, 'layer', 0.9);
    expect(layer.totals.prunedSparsity).toBeCloseTo(0.9, 3);
    expect(await probed()).toMatchObject({ posted: ['layer:0.5', 'layer:0.99', 'layer:0.9'], delivered: ['layer:0.5', 'layer:0.99', 'layer:0.9'] });

    await page.locator('#method').selectOption('global');
    await shown(page, 'global', 0.9);
    await expectFigures(page, 'global', 0.9);
    await page.locator('#method').selectOption('2:4');
    await shown(page, '2:4');
    const nm = await expectFigures(page, '2:4', 0.9);
    expect(nm.totals.prunedSparsity).toBe(0.5);
    expect(await slider.isDisabled()).toBe(true);

    // The curve: a point per result (at least 0.5, 0.9 per layer, 0.9 global, 2:4) and a line per method.
    expect(await page.locator('#curve circle.point').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#curve polyline.series').count()).toBe(3);
    expect(await page.locator('#layers rect.bar').count()).toBe(6);

    const png = await page.screenshot();
    const shots = process.env.TFJS_PRUNE_SCREENSHOTS ?? dir; // a temp dir unless asked
    await writeFile(path.join(shots, 'demo.png'), png);
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([1250, 1000]);
    const colors = [SERIES.layer.color, SERIES.global.color, SERIES['2:4'].color];
    const curve = inkIn(img, (await page.locator('#curve').boundingBox())!, colors);
    expect(curve.ink).toBeGreaterThan(0.03);
    expect(curve.ink).toBeLessThan(0.9);
    for (const [i, c] of curve.near.entries()) expect(c, `pixels of ${colors[i]} in the curve`).toBeGreaterThan(40);
    const bars = inkIn(img, (await page.locator('#layers').boundingBox())!, [SERIES.layer.color, '#d11f1f']);
    expect(bars.ink).toBeGreaterThan(0.05);
    // Three kernels at 50 % (2:4), 16 px high: thousands of blue pixels; and the red target ticks.
    expect(bars.near[0]).toBeGreaterThan(3 * 16 * 100);
    expect(bars.near[1]).toBeGreaterThan(3 * 15);

    // Everything heavy ran in the worker: the page's own thread never compiled or instantiated
    // WebAssembly (the kernels and tfjs-backend-wasm), yet every result above was computed.
    expect((await probed()).wasmCalls).toBe(0);
    expect(errors).toEqual([]);
    expect(requests.every((r) => r.startsWith(url))).toBe(true); // nothing fetched from elsewhere
    await page.close();
  }, 120_000);

  it('?scalar: says the scalar build runs, and prunes identically', async () => {
    const { page, errors } = await open('?scalar');
    await shown(page, 'layer', 0.5);
    const engine = page.locator('#engine');
    expect(await engine.getAttribute('data-simd')).toBe('false');
    expect(await engine.textContent()).toContain('WebAssembly scalar build (no SIMD)');
    await expectFigures(page, 'layer', 0.5);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
