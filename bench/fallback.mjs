// The pure-JS fallback (init({ backend: 'js' }), what engines without WebAssembly run) against the
// Wasm SIMD and scalar builds, and against plain-JS baselines, in the same run.
//
//   npm run bench:fallback                build, then measure at 1e6 weights
//   node bench/fallback.mjs [options]     against the current dist/
//     --n=1e6           weights per array (N(0, 0.05^2), seed 42, as every bench)
//     --rounds=R        interleaved rounds (default 5); a figure is the median of per-round medians
//     --time=MS         timed budget per task and round (default 300), after a >= 200 ms warm-up
//     --quickjs         also time pruneToSparsity inside QuickJS (quickjs-emscripten, no Wasm)
//
// Tasks that write get pristine weights before every run, untimed. Prints two Markdown tables:
// medians (of per-round medians), and minima (the fastest run of all rounds), which a loaded,
// shared machine disturbs less.
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import {
  init,
  pruneToSparsity,
  pruneByThreshold,
  magnitudeMask,
  nmMask,
  countZeros,
  magnitudeThreshold,
} from '../dist/index.mjs';
import { median, normalWeights } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
};
const N = Number(opt('n', '1e6'));
const ROUNDS = Number(opt('rounds', '5'));
const TIME = Number(opt('time', '300'));
const WARMUP = 200;
const here = dirname(fileURLToPath(import.meta.url));

const base = normalWeights(N);
const work = new Float32Array(N);
const pristine = () => work.set(base);
const T = magnitudeThreshold(await init().then(() => base), 0.9);

/** Median and minimum ms of fn in one round; `before` runs untimed before each call. */
function round(fn, before) {
  const until = performance.now() + WARMUP;
  do {
    before?.();
    fn();
  } while (performance.now() < until);
  const times = [];
  const end = performance.now() + TIME;
  do {
    before?.();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  } while (performance.now() < end || times.length < 3);
  return { median: median(times), min: Math.min(...times) };
}

const BUILDS = {
  simd: { forceScalar: false },
  scalar: { forceScalar: true },
  js: { backend: 'js' },
};

const TASKS = {
  'pruneToSparsity 0.9': [() => pruneToSparsity(work, 0.9), pristine],
  'pruneByThreshold': [() => pruneByThreshold(work, T), pristine],
  'magnitudeMask { sparsity: 0.9 }': [() => magnitudeMask(base, { sparsity: 0.9 })],
  'nmMask 2:4': [() => nmMask(base, { n: 2, m: 4 })],
  'countZeros': [() => countZeros(base)],
};

// Baselines: what one writes in plain JS without this library.
const mags = new Float32Array(N);
const BASELINES = {
  'pruneToSparsity 0.9': () => {
    // sort-based: |w| sorted (typed-array sort), then a prune loop at the k-th magnitude
    for (let i = 0; i < N; i++) mags[i] = Math.abs(work[i]);
    mags.sort();
    const t = mags[Math.round(0.9 * N) - 1];
    for (let i = 0; i < N; i++) if (Math.abs(work[i]) <= t) work[i] = 0;
  },
  'pruneByThreshold': () => {
    for (let i = 0; i < N; i++) {
      const v = work[i];
      work[i] = Math.abs(v) > T ? v : 0;
    }
  },
};

const results = {}; // task -> column -> [per-round medians]
const put = (task, col, v) => ((results[task] ??= {})[col] ??= []).push(v); // v: { median, min }
for (let r = 0; r < ROUNDS; r++) {
  for (const [build, options] of Object.entries(BUILDS)) {
    await init(options);
    for (const [task, [fn, before]] of Object.entries(TASKS)) put(task, build, round(fn, before));
  }
  for (const [task, fn] of Object.entries(BASELINES)) put(task, 'plain JS', round(fn, pristine));
}

let quickjs = null;
if (argv.includes('--quickjs')) quickjs = await inQuickJS();

const ms = (v) => (v === undefined ? '–' : v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1));
const stats = {
  median: (rounds) => median(rounds.map((r) => r.median)),
  min: (rounds) => Math.min(...rounds.map((r) => r.min)),
};
const fig = (task, col, stat) => (results[task][col] ? stats[stat](results[task][col]) : undefined);
console.log(`n = ${N.toExponential(0)}, ${ROUNDS} rounds, Node ${process.version}, ${os.cpus()[0].model}, load ${os.loadavg()[0].toFixed(2)}`);
for (const stat of ['median', 'min']) {
  console.log(`\n| task (ms, ${stat}) | Wasm SIMD | Wasm scalar | pure JS | JS / SIMD | JS / scalar | plain-JS baseline | baseline / JS |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const task of Object.keys(TASKS)) {
    const [s, c, j, b] = ['simd', 'scalar', 'js', 'plain JS'].map((col) => fig(task, col, stat));
    console.log(`| ${task} | ${ms(s)} | ${ms(c)} | ${ms(j)} | ${(j / s).toFixed(1)}x | ${(j / c).toFixed(1)}x | ${ms(b)} | ${b ? (b / j).toFixed(1) + 'x' : '–'} |`);
  }
}
if (quickjs) console.log(`\nQuickJS (quickjs-emscripten ${quickjs.version}, no Wasm): pruneToSparsity 0.9 at n = ${N.toExponential(0)}: ${ms(quickjs.ms)} ms (median of ${quickjs.runs}; min ${quickjs.min} ms), ${(quickjs.ms / fig('pruneToSparsity 0.9', 'js', 'median')).toFixed(0)}x Node's pure-JS median`);

/** pruneToSparsity on the same weights inside QuickJS, timed by the guest's Date.now. */
async function inQuickJS() {
  const { getQuickJS } = await import('quickjs-emscripten');
  const QuickJS = await getQuickJS();
  const dist = join(here, '..', 'dist');
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(1 << 30);
  runtime.setModuleLoader((name) => readFileSync(normalize(join(dist, '..', name)), 'utf8'));
  const ctx = runtime.newContext();
  const w = ctx.newArrayBuffer(base.buffer.slice(0));
  ctx.setProp(ctx.global, 'weightsBuffer', w);
  w.dispose();
  const code = `import * as lib from './dist/index.mjs';
    lib.init().then((info) => {
      const base = new Float32Array(globalThis.weightsBuffer);
      const work = new Float32Array(base.length);
      const times = [];
      for (let r = 0; r < 5; r++) {
        work.set(base);
        const t0 = Date.now();
        lib.pruneToSparsity(work, 0.9);
        times.push(Date.now() - t0);
      }
      times.sort((a, b) => a - b);
      globalThis.out = JSON.stringify({ backend: info.backend, ms: times[2], min: times[0], runs: times.length });
    }, (e) => { globalThis.out = JSON.stringify({ error: String(e) }); });`;
  ctx.unwrapResult(ctx.evalCode(code, 'bench.mjs', { type: 'module' })).dispose();
  runtime.executePendingJobs(-1);
  const out = JSON.parse(ctx.getProp(ctx.global, 'out').consume(ctx.dump));
  ctx.dispose();
  runtime.dispose();
  if (out.error || out.backend !== 'js') throw new Error(`QuickJS bench failed: ${JSON.stringify(out)}`);
  const version = JSON.parse(readFileSync(join(here, '..', 'node_modules', 'quickjs-emscripten', 'package.json'), 'utf8')).version;
  return { ...out, version };
}
