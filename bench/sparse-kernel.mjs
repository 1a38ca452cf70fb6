// Where the time of one sparseMatMul goes: the raw Wasm kernels alone (called on
// tfjs-backend-wasm's memory with operands placed once), against the whole op (tfjs' runKernel,
// the output's allocation, the scratch, the transposes), an op that does nothing but allocate its
// output (tfjs' per-op overhead), and tfjs-backend-wasm's dense matMul on the same weights.
//   node bench/sparse-kernel.mjs [--shape=1024x1024] [--sparsity=0.9] [--batches=1,64]
//                                [--rounds=5] [--time=MS] [--wasm=build/sparse-simd.wasm,...] [--width=32|16]
// Every timed function takes turns call by call; median ms per call. --wasm lists kernel builds
// whose raw kernels are timed side by side (default: build/sparse-simd.wasm, as built by
// `npm run build`), and checks that they write the same bits. The parts line times the three
// calls the op made before spmmPanelsFused (transposePanels, spmmPanels, untransposePanels).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { packSparse, PruneSparseMatMul, registerSparseKernels, sparseMatMul, SparseWeights } from '../dist/sparse.mjs';
import { benchOptions, kernelBenchOptions, median, normalWeights, pruneBelow as prune } from './lib.mjs';

const { opt } = benchOptions();
const { K, N, SPARSITY, BATCHES, ROUNDS, TIME } = kernelBenchOptions(opt);
const CLOCK = opt('clock', 'cpu');
const WASM = opt('wasm', 'build/sparse-simd.wasm').split(',');
// spmmPanelsFused's panel width for the raw kernels: 32 (the op's) or 16.
const WIDTH = Number(opt('width', '32'));

await tf.setBackend('wasm');
await registerSparseKernels({ build: 'simd' });
const backend = tf.backend();
const memory = backend.wasm.asm.memory;
const malloc = (bytes) => backend.wasm._malloc(bytes) >>> 0;
const builds = WASM.map((file) => ({ file, ex: new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } }).exports }));

tf.registerKernel({
  kernelName: 'BenchNoop',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend: b }) => b.makeOutput([inputs.x.shape[0], attrs.n], 'float32'),
});

function timeAll(fns) {
  // CPU time of this process (process.cpuUsage, precise to the microsecond): on this shared
  // machine a call longer than a scheduler slice also counts other processes' time on the wall clock.
  const run = CLOCK === 'cpu'
    ? (fn) => {
      const t0 = process.cpuUsage();
      fn();
      const d = process.cpuUsage(t0);
      return (d.user + d.system) / 1000;
    }
    : (fn) => {
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    };
  for (let i = 0; i < 20; i++) fns.forEach(run);
  const ts = fns.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    let calls = 0;
    while (calls < 3 || performance.now() - start < TIME * fns.length) {
      fns.forEach((f, i) => ts[i].push(run(f)));
      calls++;
    }
  }
  return ts.map(median);
}

const w = prune(normalWeights(K * N, 42), SPARSITY);
const m = packSparse(w, K, N);
const dense = tf.tensor2d(w, [K, N]);
const sparse = new SparseWeights(m);
// The packed words (docs/sparse.md): counts [n], indices (u16, padded to a word), values [nnz].
const lay = { countsByte: 0, indicesByte: 4 * N, valuesByte: 4 * (N + Math.ceil(m.nnz / 2)) };
const wPtr = malloc(m.data.byteLength);
new Int32Array(memory.buffer, wPtr, m.data.length).set(m.data);
const counts = wPtr + lay.countsByte;
const idx = wPtr + lay.indicesByte;
const vals = wPtr + lay.valuesByte;
console.log(`${CLOCK} clock; ${K}x${N} at ${SPARSITY} (nnz ${m.nnz}, ${(m.data.byteLength / 1024).toFixed(0)} KiB packed); ${ROUNDS} rounds of ${TIME} ms per function`);

for (const batch of BATCHES) {
  const xs = normalWeights(batch * K, 7);
  const x = tf.tensor2d(xs, [batch, K]);
  const lanes = (batch + 3) & ~3;
  const xPtr = malloc(xs.byteLength);
  new Float32Array(memory.buffer, xPtr, xs.length).set(xs);
  const xt = malloc(lanes * K * 4);
  const yt = malloc(lanes * N * 4);
  const ys = builds.map(() => malloc(batch * N * 4));
  // On a cache line, as the op places it (and 128 bytes more, as spmmPanelsFused asks).
  const scratch = (malloc(WIDTH * (K + N) * 4 + 192) + 63) & ~63;
  // The op's path: spmmRows below 3 rows (batch 3 too here), spmmPanelsFused (--width lanes) from
  // there (a build without it: the three calls, 16 lanes).
  const raw = builds.map(({ ex }, i) => (batch < 4
    ? () => ex.spmmRows(xPtr, batch, K, N, counts, idx, 0, vals, 0, 0, ys[i], 0)
    : ex.spmmPanelsFused
      ? () => ex.spmmPanelsFused(xPtr, batch, K, N, counts, idx, 0, vals, 0, 0, ys[i], 0, scratch, WIDTH)
      : () => {
        ex.transposePanels(xPtr, batch, K, xt);
        ex.spmmPanels(xt, batch, K, N, counts, idx, 0, vals, 0, 0, yt, 0);
        ex.untransposePanels(yt, batch, N, ys[i]);
      }));
  const parts = batch < 4 ? [] : builds.flatMap(({ ex }) => [
    () => ex.transposePanels(xPtr, batch, K, xt),
    () => ex.spmmPanels(xt, batch, K, N, counts, idx, 0, vals, 0, 0, yt, 0),
    () => ex.untransposePanels(yt, batch, N, ys[0]),
  ]);
  const attrs = { k: K, n: N, nnz: m.nnz, wide: m.wide, activation: 'linear' };
  const inputs = { x, weights: sparse.tensor };
  const kernelFunc = tf.getKernel(PruneSparseMatMul, 'wasm').kernelFunc;
  const fns = [
    () => tf.matMul(x, dense).dispose(),
    () => sparseMatMul(x, sparse).dispose(),
    () => tf.engine().runKernel('BenchNoop', { x }, { n: N }).dispose(),
    () => tf.engine().runKernel(PruneSparseMatMul, inputs, attrs).dispose(),
    () => backend.disposeData(kernelFunc({ inputs, attrs, backend }).dataId, true),
    ...raw,
    ...parts,
  ];
  const t = timeAll(fns);
  const opY = sparseMatMul(x, sparse).dataSync();
  const same = ys.map((p) => {
    const y = new Float32Array(memory.buffer, p, batch * N);
    return y.every((v, j) => Object.is(v, opY[j]));
  });
  const f = (v) => v.toFixed(4);
  console.log(`batch ${batch}: dense op ${f(t[0])} ms | sparse op ${f(t[1])} | no-op op ${f(t[2])} | runKernel ${f(t[3])} | kernelFunc ${f(t[4])} | raw kernel ${builds.map((b, i) => `${b.file} ${f(t[5 + i])}${same[i] ? '' : ' (BITS DIFFER)'}`).join(', ')}`);
  if (parts.length) {
    builds.forEach((b, i) => {
      const [a, s, u] = t.slice(5 + builds.length + 3 * i, 8 + builds.length + 3 * i);
      console.log(`   ${b.file}, the three calls (16 lanes): transpose ${f(a)}, spmmPanels ${f(s)}, untranspose ${f(u)}`);
    });
  }
  console.log(`   dense / sparse op ${(t[0] / t[1]).toFixed(2)}×; dense / raw ${builds.map((b, i) => (t[0] / t[5 + i]).toFixed(2)).join(', ')}×`);
  x.dispose();
}
