// Benchmark of the tfjs ops (issue 3): pruneMagnitude on the wasm and cpu backends against the tfjs
// composite where(greater(abs(x), t), x, 0) on the same backend, and against the raw typed-array
// kernel on weights already in Wasm memory; plus the bytes each op copies per call.
//
//   npm run bench:tfjs            build, then measure 1e5, 1e6 and 1e7 weights and record the
//                                 figures in bench/README.md (between the bench:tfjs markers)
//   node bench/tfjs-ops.mjs [options]   against the current dist/ without building
//     --sizes=1e5,1e6      other sizes (the README is then left alone unless --record)
//     --rounds=R           interleaved rounds (default 5); a task's figure is the median of its
//                          per-round medians
//     --time=MS            timed budget per task over all rounds (default 1000, at least one run
//                          a round); every round warms each task up for >= 250 ms first
//     --no-record / --record
//
// Results also go to bench/.tmp/tfjs-latest.json.
import { Bench } from 'tinybench';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { allocWeights, pruneByThreshold, pruneToSparsity, magnitudeThreshold, wasmInfo } from '../dist/index.mjs';
import { registerPruneKernels, pruneMagnitude, magnitudeMask, applyMask, copyReport, resetCopyReport } from '../dist/tfjs.mjs';
import { benchOptions, median, normalWeights } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = join(here, '.tmp');

const { flag, opt, defaultSizes: DEFAULT_SIZES, sizes: SIZES } = benchOptions();
const TIME = Number(opt('time', '1000'));
const ROUNDS = Number(opt('rounds', '5'));
const WARMUP = 250;
const SPARSITY = 0.9;
const RECORD = flag('record') || (!flag('no-record') && SIZES.join() === DEFAULT_SIZES.join());
const LOAD_START = os.loadavg()[0];

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

// ---------------------------------------------------------------------------------------------
// Measuring: the whole task list runs ROUNDS times (a load spike on this shared machine then
// shifts every task alike, or is voted out by the median of rounds).

function measureRound(fn, before) {
  gc();
  const bench = new Bench({ time: TIME / ROUNDS, iterations: 1, warmupTime: WARMUP, warmupIterations: 1, throws: true });
  bench.add('task', fn, before ? { beforeEach: before } : {});
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw r.error ?? new Error(`task ended in state ${r.state}`);
  return { median: r.latency.p50, runs: r.latency.samplesCount };
}




// ---------------------------------------------------------------------------------------------
// Tasks. `make(ctx)` returns { fn, before? } for one size; ctx holds the tensors and buffers.

const TASKS = [
  // wasm backend
  ['wasm.op.t', 'wasm', 'pruneMagnitude(x, { threshold })', (c) => ({ fn: () => pruneMagnitude(c.x, { threshold: c.t }).dispose() })],
  ['wasm.op.s', 'wasm', 'pruneMagnitude(x, { sparsity: 0.9 })', (c) => ({ fn: () => pruneMagnitude(c.x, { sparsity: SPARSITY }).dispose() })],
  ['wasm.mask.s', 'wasm', 'magnitudeMask(x, { sparsity: 0.9 })', (c) => ({ fn: () => magnitudeMask(c.x, { sparsity: SPARSITY }).dispose() })],
  ['wasm.apply', 'wasm', 'applyMask(x, boolMask)', (c) => ({ fn: () => applyMask(c.x, c.mask).dispose() })],
  ['wasm.comp', 'wasm', 'tfjs where(greater(abs(x), t), x, 0)', (c) => ({ fn: () => tf.tidy(() => tf.where(tf.greater(tf.abs(c.x), c.t), c.x, 0)).dispose() })],
  ['wasm.comp0', 'wasm', 'tfjs where(greater(abs(x), t), x, zerosLike(x))', (c) => ({ fn: () => tf.tidy(() => tf.where(tf.greater(tf.abs(c.x), c.t), c.x, tf.zerosLike(c.x))).dispose() })],
  ['wasm.copy.t', 'wasm', 'copying by hand: tf.tensor(pruneByThreshold(x.dataSync()))', (c) => ({
    fn: () => {
      const v = c.x.dataSync(); // a copy out of the backend's heap
      pruneByThreshold(v, c.t); // streamed through the kernels' window
      tf.tensor(v, c.x.shape).dispose(); // a copy back in
    },
  })],
  ['raw.t', 'wasm', 'raw kernel: pruneByThreshold(WasmWeights, t)', (c) => ({ fn: () => pruneByThreshold(c.w, c.t), before: c.refill })],
  ['raw.s', 'wasm', 'raw kernel: pruneToSparsity(WasmWeights, 0.9)', (c) => ({ fn: () => pruneToSparsity(c.w, SPARSITY), before: c.refill })],
  // cpu backend
  ['cpu.op.t', 'cpu', 'pruneMagnitude(x, { threshold })', (c) => ({ fn: () => pruneMagnitude(c.x, { threshold: c.t }).dispose() })],
  ['cpu.op.s', 'cpu', 'pruneMagnitude(x, { sparsity: 0.9 })', (c) => ({ fn: () => pruneMagnitude(c.x, { sparsity: SPARSITY }).dispose() })],
  ['cpu.comp', 'cpu', 'tfjs where(greater(abs(x), t), x, 0)', (c) => ({ fn: () => tf.tidy(() => tf.where(tf.greater(tf.abs(c.x), c.t), c.x, 0)).dispose() })],
];

const results = {}; // id -> n -> { median, rounds: [...] }
const bytes = {}; // backend -> op -> bytes per call
const checks = [];

function check(what, ok) {
  checks.push({ what, ok });
  if (!ok) process.stderr.write(`CHECK FAILED: ${what}\n`);
}

function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function contexts(backend, n, pristine) {
  await tf.setBackend(backend);
  const x = tf.tensor(pristine);
  const mask = tf.tidy(() => tf.greater(tf.abs(x), 0.01));
  let w = null;
  if (backend === 'wasm') {
    w = allocWeights(n);
    w.array.set(pristine);
  }
  const t = magnitudeThreshold(pristine, SPARSITY);
  return { x, mask, w, t, refill: w && (() => w.array.set(pristine)) };
}

function dispose(c) {
  tf.dispose([c.x, c.mask]);
  c.w?.free();
}

// Untimed: results agree bitwise with the typed-array API, nothing leaks, bytes per call.
function verify(backend, n, c, pristine) {
  const refT = pristine.slice();
  pruneByThreshold(refT, c.t);
  const refS = pristine.slice();
  pruneToSparsity(refS, SPARSITY);
  const before = tf.memory().numTensors;
  for (const [op, run, ref] of [
    ['pruneMagnitude { threshold }', () => pruneMagnitude(c.x, { threshold: c.t }), refT],
    ['pruneMagnitude { sparsity }', () => pruneMagnitude(c.x, { sparsity: SPARSITY }), refS],
    ['magnitudeMask { sparsity }', () => magnitudeMask(c.x, { sparsity: SPARSITY }), Float32Array.from(refS, (v) => (v !== 0 ? 1 : 0))],
    ['applyMask (bool mask)', () => applyMask(c.x, c.mask), null],
  ]) {
    resetCopyReport();
    const y = run();
    const r = copyReport();
    bytes[backend] ??= {};
    bytes[backend][op] ??= {};
    bytes[backend][op][n] = { bytes: r.bytesCopied / r.calls, path: r.last.path };
    if (ref !== null) check(`${backend} ${op} at ${n} equals the typed-array API`, sameBits(y.dataSync(), ref));
    y.dispose();
  }
  const comp = tf.tidy(() => tf.where(tf.greater(tf.abs(c.x), c.t), c.x, 0));
  check(`${backend} composite at ${n} equals the typed-array API`, sameBits(comp.dataSync(), refT.map((v) => v + 0)));
  comp.dispose();
  check(`${backend} leaks no tensors at ${n}`, tf.memory().numTensors === before);
}

async function main() {
  await registerPruneKernels();
  process.stderr.write(`tfjs ${tf.version_core}, kernels ${wasmInfo().simd ? 'SIMD' : 'scalar'}; sizes ${SIZES.join(', ')}; ${ROUNDS} rounds\n`);
  const BIG = Math.max(...SIZES);
  const all = normalWeights(BIG);
  for (const n of SIZES) {
    const pristine = all.slice(0, n);
    for (const backend of ['wasm', 'cpu']) {
      const c = await contexts(backend, n, pristine);
      verify(backend, n, c, pristine);
      dispose(c);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const backend of ['wasm', 'cpu']) {
        const c = await contexts(backend, n, pristine);
        for (const [id, be, label, make] of TASKS) {
          if (be !== backend) continue;
          const { fn, before } = make(c);
          if (before) before();
          const m = measureRound(fn, before);
          const cell = ((results[id] ??= {})[n] ??= { rounds: [] });
          cell.rounds.push(m.median);
          cell.median = median(cell.rounds);
          process.stderr.write(`  n=${n} round ${round + 1}/${ROUNDS} ${backend} ${label}: ${m.median.toFixed(3)} ms (${m.runs} runs)\n`);
        }
        dispose(c);
      }
    }
  }
  const text = render();
  process.stdout.write(`${text}\n`);
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'tfjs-latest.json'), JSON.stringify({ sizes: SIZES, rounds: ROUNDS, results, bytes, checks }, null, 2));
  if (RECORD) recordReadme(text);
  if (checks.some((x) => !x.ok)) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtN = (n) => (n >= 1e3 && Number.isInteger(Math.log10(n)) ? `1e${Math.log10(n)}` : String(n));
const fmtMs = (ms) => (ms === undefined ? '–' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtX = (x) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`);
const fmtBytes = (b, n) => (b === 0 ? '0' : `${b.toLocaleString('en-US')} (${(b / n).toFixed(b % n === 0 ? 0 : 2)}·n)`);

/** Markdown table; the first `left` columns are text, the rest figures. */
function mdTable(header, rows, left = 1) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < left ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpu = m[1];
  } catch {}
  return `${cpu}, ${os.availableParallelism?.() ?? os.cpus().length} cores (nproc), Node ${process.version}, V8 ${process.versions.v8}`;
}

function render() {
  const med = (id, n) => results[id]?.[n]?.median;
  const ratio = (a, b, n) => med(a, n) / med(b, n);
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const header = ['backend', 'task (median ms)', ...SIZES.map(fmtN)];
  const rows = TASKS.map(([id, be, label]) => [be, label, ...SIZES.map((n) => fmtMs(med(id, n)))]);
  const at = SIZES.filter((n) => n >= 1e6);
  const verdict = (per, ok) => (at.length === 0 ? '–' : at.every((n) => ok(per[SIZES.indexOf(n)])) ? 'met' : 'NOT met');
  const targets = [
    ['wasm: composite ÷ pruneMagnitude { threshold }', (n) => ratio('wasm.comp', 'wasm.op.t', n), '≥ 40×', (x) => x >= 40],
    ['wasm: pruneMagnitude { threshold } ÷ raw kernel', (n) => ratio('wasm.op.t', 'raw.t', n), '≤ 1.5×', (x) => x <= 1.5],
    ['wasm: pruneMagnitude { sparsity } ÷ raw kernel', (n) => ratio('wasm.op.s', 'raw.s', n), '≤ 1.5×', (x) => x <= 1.5],
  ].map(([label, f, goal, ok]) => {
    const per = SIZES.map(f);
    return [label, ...per.map(fmtX), goal, verdict(per, ok)];
  });
  const context = [
    ['wasm: composite with zerosLike(x) ÷ pruneMagnitude { threshold }', (n) => ratio('wasm.comp0', 'wasm.op.t', n)],
    ['wasm: copying by hand ÷ pruneMagnitude { threshold }', (n) => ratio('wasm.copy.t', 'wasm.op.t', n)],
    ['cpu: composite ÷ pruneMagnitude { threshold }', (n) => ratio('cpu.comp', 'cpu.op.t', n)],
    ['cpu: pruneMagnitude { threshold } ÷ wasm: pruneMagnitude { threshold }', (n) => ratio('cpu.op.t', 'wasm.op.t', n)],
  ].map(([label, f]) => [label, ...SIZES.map((n) => fmtX(f(n)))]);
  const byteRows = [];
  for (const backend of Object.keys(bytes)) {
    for (const op of Object.keys(bytes[backend])) {
      const cells = bytes[backend][op];
      byteRows.push([backend, op, cells[SIZES[0]].path, ...SIZES.map((n) => fmtBytes(cells[n].bytes, n))]);
    }
  }
  const failed = checks.filter((x) => !x.ok);
  return [
    `Measured ${date} on ${machine()}; tfjs ${tf.version_core}; 1-minute load average ${LOAD_START.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.`,
    '',
    `Each figure is the median over ${ROUNDS} interleaved rounds of the per-round median latency (tinybench); every round warms each task up for ≥ ${WARMUP} ms, then times it for ${fmtMs(TIME / ROUNDS)} ms (at least one run). Ops include creating and disposing their output tensor. 90% sparsity; weights ~ N(0, 0.05²), seed 42; t = the exact 90% threshold.`,
    '',
    mdTable(header, rows, 2),
    '',
    `Targets (ratios of medians; verdict at ${at.map(fmtN).join(' and ') || '–'}):`,
    '',
    mdTable(['target', ...SIZES.map(fmtN), 'goal', 'verdict'], targets),
    '',
    'For context:',
    '',
    mdTable(['ratio', ...SIZES.map(fmtN)], context),
    '',
    'Bytes copied per call (copyReport(); n = elements):',
    '',
    mdTable(['backend', 'op', 'path', ...SIZES.map(fmtN)], byteRows, 3),
    '',
    failed.length === 0
      ? `All ${checks.length} checks passed (every op equals the typed-array API bit for bit, and so does the composite; no tensor leaked).`
      : `${failed.length} of ${checks.length} checks FAILED: ${failed.map((x) => x.what).join('; ')}`,
  ].join('\n');
}

function recordReadme(text) {
  const path = join(here, 'README.md');
  const start = '<!-- bench:tfjs:start -->';
  const end = '<!-- bench:tfjs:end -->';
  const readme = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) {
    process.stderr.write('bench/README.md has no bench:tfjs markers; not recorded\n');
    return;
  }
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${text}\n${readme.slice(b)}`);
  process.stderr.write('recorded in bench/README.md\n');
}

await main();
