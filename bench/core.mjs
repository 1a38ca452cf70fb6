// Benchmark of the core engine (issue 2): our kernels against baselines measured in the same run.
//
//   npm run bench                 build, then measure 1e5, 1e6 and 1e7 weights and record the
//                                 figures in bench/README.md (between the bench:results markers)
//   node bench/core.mjs [options] measure against the current dist/ without building
//     --sizes=1e5,1e6      other sizes (the README is then left alone unless --record)
//     --rounds=R           interleaved rounds (default 5); each task's figure is the median of
//                          its per-round medians
//     --time=MS            timed budget per task over all rounds (default 1000, at least one run
//                          a round); every round warms each task up for >= 250 ms first
//     --no-extras          skip the diagnostics (NaN pre-check cost, chunkLength sweep)
//     --cpu-topk-1e7       also run tf.topk on tfjs-backend-cpu at 1e7 (about 15 s a call)
//     --no-record / --record
//
// Every figure comes from tinybench latency samples taken after a warm-up of at least 250 ms.
// Tasks on a buffer get pristine weights before every iteration in an untimed beforeEach hook.
// Results also go to bench/.tmp/core-latest.json (core-trial.json when the README is not recorded).
import { Bench } from 'tinybench';
import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  init,
  allocWeights,
  pruneByThreshold,
  pruneToSparsity,
  magnitudeThreshold,
  countZeros,
  prunedCount,
  wasmInfo,
} from '../dist/index.mjs';
import { benchOptions, median, normalWeights } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const tmp = join(here, '.tmp');

// ---------------------------------------------------------------------------------------------
// Options

const { flag, opt, defaultSizes: DEFAULT_SIZES, sizes: SIZES } = benchOptions();
const TIME = Number(opt('time', '1000'));
const ROUNDS = Number(opt('rounds', '5'));
const WARMUP = 250;
const SPARSITY = 0.9;
const EXTRAS = !flag('no-extras');
const CPU_TOPK_1E7 = flag('cpu-topk-1e7');
const RECORD = flag('record') || (!flag('no-record') && SIZES.join() === DEFAULT_SIZES.join());
const BIG = Math.max(...SIZES);
const LOAD_START = os.loadavg()[0];

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

// ---------------------------------------------------------------------------------------------
// Measuring
//
// The machine is shared and its load drifts over minutes, so tasks are not measured one after the
// other to completion: the whole list runs ROUNDS times, each round giving every task a warm-up of
// at least WARMUP ms and a timed budget of TIME / ROUNDS ms (at least one run). A task's figure is
// the median of its per-round medians, so a load spike shifts all tasks alike or is voted out.

/** Median latency (ms) of fn in one round. `before` runs untimed before every iteration. */
function measureRound(fn, before) {
  gc();
  const bench = new Bench({
    time: TIME / ROUNDS,
    iterations: 1,
    warmupTime: WARMUP,
    warmupIterations: 1,
    throws: true,
  });
  bench.add('task', fn, before ? { beforeEach: before } : {});
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw r.error ?? new Error(`task ended in state ${r.state}`);
  return { median: r.latency.p50, runs: r.latency.samplesCount };
}


// ---------------------------------------------------------------------------------------------
// Data: deterministic, roughly normal like trained weights (sigma 0.05).



// ---------------------------------------------------------------------------------------------
// Baselines

/** The plain-JS prune loop. */
function jsPrune(w, t) {
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    w[i] = Math.abs(v) > t ? v : 0;
  }
}

function absInto(w, out) {
  for (let i = 0; i < w.length; i++) out[i] = Math.abs(w[i]);
}

/** k-th smallest (0-based) by Floyd-Rivest selection, in place (after mourner/quickselect). */
function quickselect(a, k, left = 0, right = a.length - 1) {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      quickselect(a, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const t = a[k];
    let i = left;
    let j = right;
    let x = a[left]; a[left] = a[k]; a[k] = x;
    if (a[right] > t) { x = a[left]; a[left] = a[right]; a[right] = x; }
    while (i < j) {
      x = a[i]; a[i] = a[j]; a[j] = x;
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[left] === t) { x = a[left]; a[left] = a[j]; a[j] = x; }
    else { j++; x = a[j]; a[j] = a[right]; a[right] = x; }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return a[k];
}

/** The Wasm SIMD read+write stream (bench/stream.ts), built on first use. */
async function streamModule() {
  const src = join(here, 'stream.ts');
  const out = join(tmp, 'stream.wasm');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    const { default: asc } = await import('assemblyscript/asc');
    const { error, stderr } = await asc.main([
      src, '--enable', 'simd', '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
      '--initialMemory', '1', '-o', out,
    ]);
    if (error) throw new Error(`asc failed on bench/stream.ts: ${error.message}\n${stderr.toString()}`);
  }
  const { instance } = await WebAssembly.instantiate(readFileSync(out), {});
  return instance.exports;
}

/** A private instance of the SIMD kernel build, for the diagnostics on raw kernel calls. */
async function rawKernels() {
  const { instance } = await WebAssembly.instantiate(readFileSync(join(root, 'build', 'simd.wasm')), {});
  return instance.exports;
}

function ensureMemory(memory, bytes) {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

function f32Bits(x) {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

// ---------------------------------------------------------------------------------------------
// Tasks

const TASKS = [
  // [id, label]
  ['stream', 'Wasm SIMD read+write stream (memory ceiling)'],
  ['jsLoop', 'plain-JS prune loop'],
  ['tfCpuWhere', 'tfjs cpu: where(greater(abs(x), t), x, 0)'],
  ['tfWasmWhere', 'tfjs wasm: where(greater(abs(x), t), x, 0)'],
  ['tfWasmWhereZ', 'tfjs wasm: same with zerosLike(x) for 0'],
  ['tfWasmTopk', 'tfjs wasm: topk(abs(x), n) threshold (TF MOT)'],
  ['tfCpuTopk', 'tfjs cpu: topk(abs(x), n) threshold (TF MOT)'],
  ['sort', 'Float32Array#sort of |w| copy, k-th'],
  ['qselect', 'JS quickselect (Floyd-Rivest) of |w| copy'],
  ['simd.pruneWasm', 'SIMD pruneByThreshold, Wasm-held'],
  ['simd.pruneJs', 'SIMD pruneByThreshold, JS-held (copies incl.)'],
  ['simd.threshWasm', 'SIMD magnitudeThreshold, Wasm-held'],
  ['simd.threshJs', 'SIMD magnitudeThreshold, JS-held'],
  ['simd.sparsityWasm', 'SIMD pruneToSparsity, Wasm-held'],
  ['simd.sparsityJs', 'SIMD pruneToSparsity, JS-held'],
  ['scalar.pruneWasm', 'scalar pruneByThreshold, Wasm-held'],
  ['scalar.pruneJs', 'scalar pruneByThreshold, JS-held'],
  ['scalar.threshWasm', 'scalar magnitudeThreshold, Wasm-held'],
  ['scalar.threshJs', 'scalar magnitudeThreshold, JS-held'],
  ['scalar.sparsityWasm', 'scalar pruneToSparsity, Wasm-held'],
  ['scalar.sparsityJs', 'scalar pruneToSparsity, JS-held'],
];
const LABEL = Object.fromEntries(TASKS);

const DIAG = [
  ['nan.apiWasm', 'Wasm-held: pruneByThreshold (API: countNaN pass + prune pass)'],
  ['nan.rawPrune', 'Wasm-held: raw pruneAbove kernel only'],
  ['nan.rawCountNaN', 'Wasm-held: raw countNaN kernel only'],
  ['nan.includesWasm', 'Wasm-held: view.includes(NaN)'],
  ['nan.apiJs', 'JS-held: pruneByThreshold (API)'],
  ['nan.chunkedPrune', 'JS-held: chunked copy-in/prune/copy-back, no NaN pass'],
  ['nan.chunkedNaN', 'JS-held: chunked copy-in + countNaN (the current pre-check)'],
  ['nan.includesJs', 'JS-held: Float32Array#includes(NaN)'],
];
for (const [id, label] of DIAG) LABEL[id] = label;
const CHUNKS = [16384, 65536, 262144, 1048576];
for (const c of CHUNKS) {
  LABEL[`chunk${c}.prune`] = `chunkLength ${c}: pruneByThreshold, JS-held`;
  LABEL[`chunk${c}.sparsity`] = `chunkLength ${c}: pruneToSparsity, JS-held`;
  LABEL[`chunk${c}.thresh`] = `chunkLength ${c}: magnitudeThreshold, JS-held`;
}

const samples = {}; // samples[id][n] = per-round { median, runs }
const results = {}; // results[id][n] = { median, rounds, runs } | { skipped: true }
const notes = [];
const checks = [];

function check(what, ok, detail = '') {
  checks.push({ what, ok, detail });
  if (!ok) process.stderr.write(`  CHECK FAILED: ${what} ${detail}\n`);
}

/** What every group of one size shares: the weights, the exact threshold, the expected result. */
function sizeContext(n, base) {
  const pristine = base.slice(0, n);
  const k = prunedCount(SPARSITY, n);
  const t = pristine.map(Math.abs).sort()[k - 1]; // the exact 90%-sparsity threshold
  const expected = pristine.slice();
  jsPrune(expected, t);
  const work = new Float32Array(n);
  const scratch = new Float32Array(n);
  return {
    n, pristine, k, t, expected, work, scratch,
    restore: () => work.set(pristine),
    same: (a) => a.length === n && a.every((v, i) => Object.is(v, expected[i])),
  };
}

/**
 * The groups of tasks for one size. A group's setup() prepares what its tasks share (a kernel
 * build, a tfjs backend, buffers) and returns the tasks; teardown() releases it. Every task on a
 * buffer gets a fresh copy of the pristine weights before each iteration (untimed), read-only
 * tasks included, so all of them start from the same cache state.
 */
function groups(cx, env) {
  const { n, pristine, k, t, work, scratch, restore, same } = cx;
  const G = [];
  let got;
  let rep;

  G.push({
    name: 'stream',
    setup() {
      const ptr = 64;
      ensureMemory(env.stream.memory, ptr + n * 4);
      const view = () => new Float32Array(env.stream.memory.buffer, ptr, n);
      return [{ id: 'stream', fn: () => env.stream.stream(ptr, n, 0), before: () => view().set(pristine) }];
    },
  });

  for (const build of ['simd', 'scalar']) {
    let ww = null;
    G.push({
      name: build,
      async setup() {
        const info = await init({ forceScalar: build === 'scalar' });
        if (info.simd !== (build === 'simd')) throw new Error(`init did not give the ${build} build`);
        ww = allocWeights(n); // WasmWeights die with the runtime: allocate per round
        const restoreW = () => ww.array.set(pristine);
        return [
          { id: `${build}.pruneWasm`, fn: () => { rep = pruneByThreshold(ww, t); }, before: restoreW,
            check: () => [same(ww.array) && rep.pruned === k, `pruned ${rep.pruned}`] },
          { id: `${build}.pruneJs`, fn: () => { rep = pruneByThreshold(work, t); }, before: restore,
            check: () => [same(work) && rep.pruned === k, `pruned ${rep.pruned}`] },
          { id: `${build}.threshWasm`, fn: () => { got = magnitudeThreshold(ww, SPARSITY); }, before: restoreW,
            check: () => [got === t, `${got} vs ${t}`] },
          { id: `${build}.threshJs`, fn: () => { got = magnitudeThreshold(work, SPARSITY); }, before: restore,
            check: () => [got === t, `${got} vs ${t}`] },
          { id: `${build}.sparsityWasm`, fn: () => { rep = pruneToSparsity(ww, SPARSITY); }, before: restoreW,
            check: () => [same(ww.array) && rep.pruned === k, `pruned ${rep.pruned}`] },
          { id: `${build}.sparsityJs`, fn: () => { rep = pruneToSparsity(work, SPARSITY); }, before: restore,
            check: () => [same(work) && rep.pruned === k, `pruned ${rep.pruned}`] },
        ];
      },
      teardown() {
        ww.free();
      },
    });
    if (build === 'simd') {
      G.push({
        name: 'js',
        setup: () => [
          { id: 'jsLoop', fn: () => jsPrune(work, t), before: restore, check: () => [same(work)] },
          { id: 'qselect', fn: () => { absInto(work, scratch); got = quickselect(scratch, k - 1); }, before: restore,
            check: () => [got === t, `${got} vs ${t}`] },
          { id: 'sort', fn: () => { absInto(work, scratch); scratch.sort(); got = scratch[k - 1]; }, before: restore,
            check: () => [got === t, `${got} vs ${t}`] },
        ],
      });
    }
  }

  // tfjs: the input tensor lives on the backend already; the op and the disposal of the previous
  // result are timed.
  for (const backend of ['cpu', 'wasm']) {
    let x = null;
    let y = null;
    const swap = (next) => { y?.dispose(); y = next; };
    const whereCheck = () => [same(y.dataSync())];
    const topk = () => {
      // TF Model Optimization: values = top_k(|w|, k=size) sorted descending, then a gather.
      // Index n-k gives the k-th smallest, the same quantity as magnitudeThreshold.
      const s = tf.tidy(() => tf.gather(tf.topk(tf.abs(x), n).values, n - k));
      got = s.dataSync()[0];
      s.dispose();
    };
    G.push({
      name: `tfjs-${backend}`,
      async setup() {
        await tf.setBackend(backend);
        await tf.ready();
        x = tf.tensor1d(pristine);
        const tasks = [];
        const where = backend === 'cpu' ? 'tfCpuWhere' : 'tfWasmWhere';
        tasks.push({ id: where, fn: () => swap(tf.tidy(() => tf.where(tf.greater(tf.abs(x), t), x, 0))), check: whereCheck });
        if (backend === 'wasm') {
          // The scalar 0 is broadcast on a slow path of the wasm backend; a zeros tensor is not.
          tasks.push({ id: 'tfWasmWhereZ', fn: () => swap(tf.tidy(() => tf.where(tf.greater(tf.abs(x), t), x, tf.zerosLike(x)))), check: whereCheck });
        }
        const topkId = backend === 'cpu' ? 'tfCpuTopk' : 'tfWasmTopk';
        if (backend === 'cpu' && n >= 1e7 && !CPU_TOPK_1E7) results[topkId][n] = { skipped: true };
        else tasks.push({ id: topkId, fn: topk, check: () => [got === t, `${got} vs ${t}`] });
        return tasks;
      },
      teardown() {
        swap(null);
        x.dispose();
        check(`tfjs ${backend} leaks no tensors ${fmtN(n)}`, tf.memory().numTensors === 0, `${tf.memory().numTensors} left`);
      },
    });
  }
  return G;
}

// Diagnostics at the largest size: (a) what the NaN pre-check of pruneByThreshold costs,
// (b) how chunkLength affects JS-held weights.
function diagnosticGroups(cx, env) {
  const { n, pristine, k, t, work, restore } = cx;
  const tBits = f32Bits(t);
  const G = [];
  let ww = null;
  G.push({
    name: 'diag-nan',
    async setup() {
      await init();
      ww = allocWeights(n);
      const restoreW = () => ww.array.set(pristine);
      // Raw kernel calls on a private instance of build/simd.wasm: no argument checks, no NaN pass.
      const ex = env.raw;
      const chunk = wasmInfo().chunkLength;
      const chunkPtr = (ex.heapBase() + 15) & ~15;
      const ptr = chunkPtr + chunk * 4;
      ensureMemory(ex.memory, ptr + n * 4);
      const restoreRaw = () => new Float32Array(ex.memory.buffer, ptr, n).set(pristine);
      // The chunked path of src/wasm/backend.ts for a JS-held array, written out.
      const chunked = (js, fn, writeBack) => {
        const heap = new Float32Array(ex.memory.buffer);
        const cb = chunkPtr >>> 2;
        for (let off = 0; off < js.length; off += chunk) {
          const len = Math.min(chunk, js.length - off);
          heap.set(js.subarray(off, off + len), cb);
          fn(chunkPtr, len);
          if (writeBack) js.set(heap.subarray(cb, cb + len), off);
        }
      };
      return [
        { id: 'nan.apiWasm', fn: () => pruneByThreshold(ww, t), before: restoreW },
        { id: 'nan.rawPrune', fn: () => ex.pruneAbove(ptr, n, tBits), before: restoreRaw },
        { id: 'nan.rawCountNaN', fn: () => ex.countNaN(ptr, n), before: restoreRaw },
        { id: 'nan.includesWasm', fn: () => ww.array.includes(NaN), before: restoreW },
        { id: 'nan.apiJs', fn: () => pruneByThreshold(work, t), before: restore },
        { id: 'nan.chunkedPrune', fn: () => chunked(work, (p, len) => ex.pruneAbove(p, len, tBits), true), before: restore,
          check: () => [cx.same(work)] },
        { id: 'nan.chunkedNaN', fn: () => chunked(work, (p, len) => ex.countNaN(p, len), false), before: restore },
        { id: 'nan.includesJs', fn: () => work.includes(NaN), before: restore },
      ];
    },
    teardown() {
      ww.free();
    },
  });
  for (const c of CHUNKS) {
    G.push({
      name: `diag-chunk${c}`,
      async setup() {
        await init({ chunkLength: c });
        return [
          { id: `chunk${c}.prune`, fn: () => pruneByThreshold(work, t), before: restore },
          { id: `chunk${c}.sparsity`, fn: () => pruneToSparsity(work, SPARSITY), before: restore },
          { id: `chunk${c}.thresh`, fn: () => magnitudeThreshold(work, SPARSITY), before: restore },
        ];
      },
    });
  }
  return G;
}

async function runRounds(plan) {
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    for (const { n, groups: G } of plan) {
      for (const g of G) {
        const tasks = await g.setup();
        for (const task of tasks) {
          const r = measureRound(task.fn, task.before);
          ((samples[task.id] ??= {})[n] ??= []).push(r);
          if (round === 0 && task.check) {
            const [ok, detail = ''] = task.check();
            check(`${task.id} ${fmtN(n)}`, ok, detail);
          }
          if (round === ROUNDS - 1) {
            const per = samples[task.id][n];
            (results[task.id] ??= {})[n] = {
              median: median(per.map((s) => s.median)),
              rounds: per.map((s) => s.median),
              runs: per.reduce((a, s) => a + s.runs, 0),
            };
          }
          process.stderr.write(`  r${round + 1} ${fmtN(n).padEnd(4)} ${LABEL[task.id].padEnd(62)} ${fmtMs(r.median).padStart(9)} ms (${r.runs})\n`);
        }
        await g.teardown?.();
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} took ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  await init();
}

// ---------------------------------------------------------------------------------------------
// Targets

// A ratio of two tasks is taken round by round (the two were measured seconds apart, under the
// same load) and the median of the per-round ratios is reported; over a whole run the load can
// drift by several times, which the ratio of the overall medians would inherit.
function ratio(a, b, n) {
  const x = samples[a]?.[n];
  const y = samples[b]?.[n];
  if (!x || !y || x.length !== y.length) return NaN;
  return median(x.map((s, i) => s.median / y[i].median));
}

function ratioOfMedians(a, b, n) {
  const x = results[a]?.[n]?.median;
  const y = results[b]?.[n]?.median;
  return x && y ? x / y : NaN;
}

function targets() {
  const at = BIG;
  const T = [];
  const add = (label, num, den, cmp, limit, explain) => {
    const per = SIZES.map((n) => ratio(num, den, n));
    const v = ratio(num, den, at);
    const pass = cmp === '<=' ? v <= limit : v >= limit;
    const ofMedians = SIZES.map((n) => ratioOfMedians(num, den, n));
    T.push({ label, per, ofMedians, at, value: v, cmp, limit, verdict: Number.isNaN(v) ? 'n/a' : pass ? 'PASS' : 'MISS', explain });
  };
  add('fused prune (Wasm-held) / SIMD stream', 'simd.pruneWasm', 'stream', '<=', 1.2);
  add('plain-JS loop / fused prune (Wasm-held)', 'jsLoop', 'simd.pruneWasm', '>=', 25);
  add('plain-JS loop / fused prune (JS-held, copies incl.)', 'jsLoop', 'simd.pruneJs', '>=', 2.5);
  add('exact threshold (Wasm-held) / SIMD stream', 'simd.threshWasm', 'stream', '<=', 3);
  add('tf.topk way (wasm backend) / exact threshold', 'tfWasmTopk', 'simd.threshWasm', '>=', 100);
  add('JS quickselect / exact threshold', 'qselect', 'simd.threshWasm', '>=', 5);
  for (const op of ['pruneWasm', 'pruneJs', 'threshWasm', 'threshJs', 'sparsityWasm', 'sparsityJs']) {
    add(`scalar / SIMD: ${TASKS.find((t) => t[0] === `simd.${op}`)[1].slice(5)}`, `scalar.${op}`, `simd.${op}`, '<=', 10);
  }
  // Informational: the same ratios for JS-held weights and a floor for context.
  const info = [
    ['tf.topk way (wasm) / exact threshold (JS-held)', 'tfWasmTopk', 'simd.threshJs'],
    ['JS quickselect / exact threshold (JS-held)', 'qselect', 'simd.threshJs'],
    ['plain-JS loop / SIMD stream (the best any prune can do)', 'jsLoop', 'stream'],
    ['pruneToSparsity (Wasm-held) / SIMD stream', 'simd.sparsityWasm', 'stream'],
    ['tfjs wasm where (zerosLike) / fused prune (Wasm-held)', 'tfWasmWhereZ', 'simd.pruneWasm'],
    ['tfjs cpu where / fused prune (JS-held)', 'tfCpuWhere', 'simd.pruneJs'],
    ['Float32Array#sort / exact threshold (Wasm-held)', 'sort', 'simd.threshWasm'],
  ].map(([label, a, b]) => ({ label, per: SIZES.map((n) => ratio(a, b, n)) }));
  return { at, list: T, info };
}

// ---------------------------------------------------------------------------------------------
// Output

function fmtN(n) {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
}

function fmtMs(ms) {
  if (ms === undefined || Number.isNaN(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

function fmtX(x) {
  if (Number.isNaN(x)) return '—';
  return x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

function mdTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = info.match(/^model name\s*:\s*(.*)$/m);
    const fam = info.match(/^cpu family\s*:\s*(\d+)$/m);
    const mod = info.match(/^model\s*:\s*(\d+)$/m);
    if (m) cpu = m[1] + (fam && mod ? ` (family ${fam[1]}, model ${mod[1]})` : '');
  } catch {}
  let l3 = '';
  try {
    const idx = readFileSync('/sys/devices/system/cpu/cpu0/cache/index3/size', 'utf8').trim();
    l3 = `, L3 ${idx}`;
  } catch {}
  return `${cpu}${l3}, ${os.availableParallelism?.() ?? os.cpus().length} cores (nproc), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, V8 ${process.versions.v8}`;
}

function render(withDiag) {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const header = ['task (median ms)', ...SIZES.map(fmtN)];
  const cell = (id, n) => (results[id]?.[n]?.skipped ? 'skipped' : fmtMs(results[id]?.[n]?.median));
  const rows = TASKS.map(([id, label]) => [label, ...SIZES.map((n) => cell(id, n))]);
  const tg = targets();
  const tRows = tg.list.map((x) => [x.label, ...x.per.map(fmtX), `${x.cmp} ${x.limit}×`, x.verdict]);
  const iRows = tg.info.map((x) => [x.label, ...x.per.map(fmtX)]);
  const parts = [
    `Measured ${date} on ${machine()}; 1-minute load average ${LOAD_START.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.`,
    '',
    `Each figure is the median over ${ROUNDS} interleaved rounds of the per-round median latency; every round warms each task up for ≥ ${WARMUP} ms, then times it for ${fmtMs(TIME / ROUNDS)} ms (at least one run). 90% sparsity; weights ~ N(0, 0.05²) from a seeded PRNG.`,
    '',
    mdTable(header, rows),
    '',
    `Targets, as ratios of median times: in each round the two tasks' medians are divided, and the table gives the median of the ${ROUNDS} per-round ratios (robust to load drifting between rounds; the ratios of the overall medians are in the JSON). The verdict is taken at ${fmtN(tg.at)}:`,
    '',
    mdTable(['target', ...SIZES.map(fmtN), 'goal', `at ${fmtN(tg.at)}`], tRows),
    '',
    'For context (same kind of ratios):',
    '',
    mdTable(['ratio', ...SIZES.map(fmtN)], iRows),
  ];
  if (notes.length) parts.push('', ...notes.map((s) => `- ${s}`));
  const failed = checks.filter((c) => !c.ok);
  parts.push('', failed.length === 0
    ? `All ${checks.length} result checks passed (every method found the same threshold and pruned the same weights).`
    : `${failed.length} of ${checks.length} result checks FAILED: ${failed.map((c) => c.what).join('; ')}`);
  if (withDiag) {
    parts.push('', `Diagnostics at ${fmtN(BIG)} (SIMD build; medians as above):`, '',
      mdTable(['measurement', 'median ms'], DIAG.map(([id, label]) => [label, cell(id, BIG)])), '',
      mdTable(['chunkLength (JS-held)', 'pruneByThreshold', 'pruneToSparsity', 'magnitudeThreshold'],
        CHUNKS.map((c) => [String(c), cell(`chunk${c}.prune`, BIG), cell(`chunk${c}.sparsity`, BIG), cell(`chunk${c}.thresh`, BIG)])));
  }
  return parts.join('\n');
}

function recordReadme(text) {
  const path = join(here, 'README.md');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const readme = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) {
    process.stderr.write('bench/README.md has no bench:results markers; not recorded\n');
    return;
  }
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${text}\n${readme.slice(b)}`);
  process.stderr.write('recorded in bench/README.md\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = performance.now();
  mkdirSync(tmp, { recursive: true });
  // tfjs-core prints a hint about tfjs-node once; it is noise here.
  const warn = console.warn;
  console.warn = () => {};
  await tf.setBackend('wasm');
  await tf.ready();
  await tf.setBackend('cpu');
  await tf.ready();
  console.warn = warn;
  await init();
  const env = { stream: await streamModule(), raw: await rawKernels() };
  const base = normalWeights(BIG);
  process.stderr.write(`tfjs-prune core benchmark: sizes ${SIZES.map(fmtN).join(', ')}, ${ROUNDS} rounds; ${machine()}\n`);
  for (const [id] of TASKS) results[id] = {};
  const plan = SIZES.map((n) => {
    const cx = sizeContext(n, base);
    const G = groups(cx, env);
    if (EXTRAS && n === BIG) G.push(...diagnosticGroups(cx, env));
    return { n, groups: G };
  });
  await runRounds(plan);
  if (results.tfCpuTopk[BIG]?.skipped) {
    const m = results.tfCpuTopk[BIG / 10]?.median;
    notes.push(`tfjs cpu topk at ${fmtN(BIG)} is skipped (${m ? `about ${fmtMs((m * 10 * Math.log(BIG)) / Math.log(BIG / 10) / 1000)} s a call by n log n from ${fmtN(BIG / 10)}; ` : ''}run with --cpu-topk-1e7 to measure it).`);
  }
  const text = render(EXTRAS);
  process.stdout.write(`\n${text}\n`);
  // A trial run (other sizes, --no-record) must not overwrite the figures behind the README.
  writeFileSync(join(tmp, RECORD ? 'core-latest.json' : 'core-trial.json'), JSON.stringify({ date: new Date().toISOString(), machine: machine(), sizes: SIZES, rounds: ROUNDS, results, labels: LABEL, targets: targets(), checks, notes }, null, 1));
  if (RECORD) recordReadme(text);
  process.stderr.write(`total ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}

await main();
