// Raw-kernel A/B runs for the sparse kernels on tfjs-backend-wasm's memory (operands placed
// once), each variant timed cold (right after a dense tf.matMul, as in bench/sparse.mjs, where
// dense and sparse take turns) and warm (right after itself), calls taking turns, CPU time,
// median ms per call; checks that every variant writes the same bits.
//   node bench/sparse-ab.mjs [--shape=1024x1024] [--sparsity=0.9] [--batches=1,64] [--rounds=5]
//                            [--time=60] [--bytes=rows-bytes.wasm] [--panels=a.wasm[:16],...] [--align=0]
//                            [--widths=32,16] [--before=dense|sweep|write|spin] [--sweep=KiB]
// Batch 1: spmmRows of build/sparse-simd.wasm; with --bytes, also spmmRows of another build fed
// indices × 4 (byte offsets: a build whose batch-1 loads skip the shift), or × the scale given
// after a colon (`--bytes=other.wasm:1`: another build on the same indices). Batch ≥ 3:
// spmmPanelsFused (32 lanes) of build/sparse-simd.wasm and of each --panels build (fed indices
// × scale when given), the scratch --align bytes past a 64-byte boundary (bench/README.md).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { packSparse, registerSparseKernels } from '../dist/sparse.mjs';
import { benchOptions, kernelBenchOptions, median, normalWeights, pruneBelow as prune } from './lib.mjs';

const { opt } = benchOptions();
const { K, N, SPARSITY, BATCHES, ROUNDS, TIME } = kernelBenchOptions(opt);
const [BYTES, BYTES_SCALE = 4] = opt('bytes', '').split(':');
const ALIGN = Number(opt('align', '0'));
const BEFORE = opt('before', 'dense');
const SWEEP = Number(opt('sweep', '4096'));
// spmmPanelsFused's panel widths to time (32: the op's).
const WIDTHS = opt('widths', '32').split(',').map(Number);
// Other builds whose spmmPanelsFused is timed beside this one's: file[:scale] (indices × scale).
const PANELS = opt('panels', '').split(',').filter(Boolean).map((s) => s.split(':'));

await tf.setBackend('wasm');
await registerSparseKernels({ build: 'simd' });
const backend = tf.backend();
const memory = backend.wasm.asm.memory;
const malloc = (bytes) => backend.wasm._malloc(bytes) >>> 0;
const inst = (file) => new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } }).exports;
const ex = inst('build/sparse-simd.wasm');
const exBytes = BYTES ? inst(BYTES) : null;


const cpu = (fn) => {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
};

function timeAll(fns) {
  for (let i = 0; i < 10; i++) fns.forEach((f) => cpu(f));
  const ts = fns.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    while (performance.now() - start < TIME * fns.length) fns.forEach((f, i) => ts[i].push(cpu(f)));
  }
  return ts.map(median);
}

const w = prune(normalWeights(K * N, 42), SPARSITY);
const m = packSparse(w, K, N);
const dense = tf.tensor2d(w, [K, N]);
const idxWords = m.wide ? m.nnz : Math.ceil(m.nnz / 2);
const place = (data) => {
  const p = malloc(data.byteLength);
  new Int32Array(memory.buffer, p, data.length).set(data);
  return { counts: p, idx: p + 4 * N, vals: p + 4 * (N + idxWords) };
};
const W = place(m.data);
const scaled = (f) => {
  const d = Int32Array.from(m.data);
  const ix = new Uint16Array(d.buffer, 4 * N, m.nnz);
  for (let i = 0; i < ix.length; i++) ix[i] *= f;
  return place(d);
};
const panelBuilds = PANELS.map(([file, sc]) => ({ file, ex: inst(file), W: sc ? scaled(Number(sc)) : W }));
const WB = exBytes && !m.wide && K <= 16384 ? scaled(BYTES_SCALE) : null;
console.log(`cpu clock; ${K}x${N} at ${SPARSITY} (nnz ${m.nnz}); ${ROUNDS} rounds of ${TIME} ms per function`);

for (const batch of BATCHES) {
  const xs = normalWeights(batch * K, 7);
  const x = tf.tensor2d(xs, [batch, K]);
  const xPtr = malloc(xs.byteLength);
  new Float32Array(memory.buffer, xPtr, xs.length).set(xs);
  const lanes = (batch + 3) & ~3;
  // The scratch at ALIGN bytes past a 64-byte boundary (malloc gives 8 or 16: cache lines are 64).
  const scratch = ((malloc(lanes * (K + N) * 4 + 16 * N + 128) + 63) & ~63) + ALIGN;
  const variants = [];
  const y = () => malloc(batch * N * 4);
  if (batch < 3) {
    variants.push({ name: 'spmmRows', y: y(), run: (yp) => ex.spmmRows(xPtr, batch, K, N, W.counts, W.idx, m.wide ? 1 : 0, W.vals, 0, 0, yp, 0) });
    if (WB) variants.push({ name: 'spmmRows bytes', y: y(), run: (yp) => exBytes.spmmRows(xPtr, batch, K, N, WB.counts, WB.idx, 0, WB.vals, 0, 0, yp, 0) });
  } else {
    for (const width of WIDTHS) {
      variants.push({ name: `fused ${width}`, y: y(), run: (yp) => ex.spmmPanelsFused(xPtr, batch, K, N, W.counts, W.idx, m.wide ? 1 : 0, W.vals, 0, 0, yp, 0, scratch, width) });
    }
    for (const b of panelBuilds) {
      variants.push({ name: b.file.split('/').pop(), y: y(), run: (yp) => b.ex.spmmPanelsFused(xPtr, batch, K, N, b.W.counts, b.W.idx, 0, b.W.vals, 0, 0, yp, 0, scratch, 32) });
    }
  }
  // What runs before a cold call: the dense product (default), or reading SWEEP KiB of a JS array
  // (--before=sweep: evicts the caches without running XNNPACK's code), or writing it
  // (--before=write: leaves dirty lines to be written back), or spinning SWEEP µs on the clock
  // without touching memory (--before=spin: what other processes do to the caches meanwhile).
  const junk = new Float32Array(SWEEP * 256);
  let sink = 0;
  const denseCall = BEFORE !== 'dense'
    ? () => {
      let a = 0;
      if (BEFORE === 'spin') for (const end = performance.now() + SWEEP / 1000; performance.now() < end;) a++;
      else if (BEFORE === 'sweep') for (let i = 0; i < junk.length; i += 16) a += junk[i];
      else for (let i = 0; i < junk.length; i += 16) junk[i] = a++;
      sink += a;
    }
    : () => tf.matMul(x, dense).dispose();
  const fns = [];
  for (const v of variants) fns.push(denseCall, () => v.run(v.y), () => v.run(v.y), () => v.run(v.y));
  const t = timeAll(fns);
  const ref = new Float32Array(memory.buffer, variants[0].y, batch * N).slice();
  const denseY = tf.matMul(x, dense).dataSync();
  const f = (v) => v.toFixed(4);
  console.log(`batch ${batch}: dense ${f(median(variants.map((_, i) => t[4 * i])))} ms; output ${ref.every((v, j) => Object.is(v, denseY[j])) ? '=' : '!='} dense bits`);
  variants.forEach((v, i) => {
    const same = new Float32Array(memory.buffer, v.y, batch * N).every((a, j) => Object.is(a, ref[j]));
    console.log(`   ${v.name.padEnd(16)} cold ${f(t[4 * i + 1])}  warm ${f(t[4 * i + 2])} / ${f(t[4 * i + 3])}${same ? '' : '  BITS DIFFER'}`);
  });
  x.dispose();
}
