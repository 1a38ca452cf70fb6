// Single layers through the tfjs op: sparseMatMul (tfjs-prune/sparse, wasm backend, zero copy)
// against tfjs-backend-wasm's dense matMul (XNNPACK GEMM) on the same weights, same run.
//   node bench/sparse.mjs [--shapes=784x300,1024x1024] [--sparsities=0.5,0.9] [--batches=1,64]
//                         [--rounds=3] [--time=MS] [--build=simd|scalar|js] [--clock=cpu|wall]
// Dense and every sparsity's sparse op take turns call by call, ROUNDS rounds of TIME ms each;
// both clocks are recorded (bench/lib.mjs, timeTurns), the table is in CLOCK's.
// Prints a markdown table (median ms per call, dense / sparse ratio) and the crossover: the
// lowest sparsity at which sparse wins for each shape and batch. Writes bench/.tmp/sparse-latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { packSparse, registerSparseKernels, sparseMatMul, SparseWeights } from '../dist/sparse.mjs';
import { benchOptions, normalWeights, timeTurns } from './lib.mjs';

const { opt } = benchOptions();
const SHAPES = opt('shapes', '784x300,1024x1024,2048x2048,4096x1024,4096x4096').split(',').map((s) => s.split('x').map(Number));
const SPARSITIES = opt('sparsities', '0.5,0.8,0.9,0.95').split(',').map(Number);
const BATCHES = opt('batches', '1,8,64').split(',').map(Number);
const ROUNDS = Number(opt('rounds', '3'));
const TIME = Number(opt('time', '100'));
const BUILD = opt('build', 'auto');
// The clock of the table: 'cpu' (default; this process's CPU time) or 'wall' (bench/lib.mjs, timeTurns).
const CLOCK = opt('clock', 'cpu');

await tf.setBackend('wasm');
const build = await registerSparseKernels({ build: BUILD });

/** |w| at or under the s-quantile (from a sample of 2^17 magnitudes) set to 0. */
function prune(w, s) {
  const out = w.slice();
  if (s <= 0) return out;
  const step = Math.max(1, Math.floor(w.length / 131072));
  const sample = [];
  for (let i = 0; i < w.length; i += step) sample.push(Math.abs(w[i]));
  sample.sort((a, b) => a - b);
  const t = sample[Math.min(sample.length - 1, Math.floor(s * sample.length))];
  for (let i = 0; i < out.length; i++) if (Math.abs(out[i]) <= t) out[i] = 0;
  return out;
}

const results = [];
const t0 = performance.now();
for (const [k, n] of SHAPES) {
  const base = normalWeights(k * n, 42);
  const layers = SPARSITIES.map((s) => {
    const w = prune(base, s);
    const m = packSparse(w, k, n);
    return { s, actual: 1 - m.nnz / (k * n), dense: tf.tensor2d(w, [k, n]), sparse: new SparseWeights(m), bytes: m.data.byteLength };
  });
  for (const batch of BATCHES) {
    const x = tf.tensor2d(normalWeights(batch * k, 7), [batch, k]);
    // Dense time does not depend on the zeros: timed once, on the first sparsity's weights.
    const [d, ...sparse] = timeTurns([() => tf.matMul(x, layers[0].dense), ...layers.map((l) => () => sparseMatMul(x, l.sparse))], { rounds: ROUNDS, time: TIME });
    layers.forEach((l, i) => {
      const sp = sparse[i];
      results.push({
        k, n, batch, sparsity: l.s, actual: l.actual, denseMs: d[CLOCK], sparseMs: sp[CLOCK], ratio: d[CLOCK] / sp[CLOCK],
        wall: { denseMs: d.wall, sparseMs: sp.wall, ratio: d.wall / sp.wall },
        cpu: { denseMs: d.cpu, sparseMs: sp.cpu, ratio: d.cpu / sp.cpu }, bytesRatio: l.bytes / (4 * k * n),
      });
    });
    x.dispose();
    process.stderr.write(`${k}x${n} batch ${batch}: dense ${d.cpu.toFixed(3)} cpu / ${d.wall.toFixed(3)} wall ms; sparse ${layers.map((l, i) => `${l.s}: ${sparse[i].cpu.toFixed(3)} / ${sparse[i].wall.toFixed(3)}`).join(', ')}\n`);
  }
  for (const l of layers) {
    l.dense.dispose();
    l.sparse.dispose();
  }
}

const fmt = (v) => (v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
console.log(`sparse build: ${build}; tfjs ${tf.version_core}; ${CLOCK} clock; ${ROUNDS} rounds; ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
console.log(`| weights K×N | batch | dense ms | ${SPARSITIES.map((s) => `${s * 100}%: sparse ms (×)`).join(' | ')} |`);
console.log(`|---|---|---|${SPARSITIES.map(() => '---').join('|')}|`);
for (const [k, n] of SHAPES) {
  for (const batch of BATCHES) {
    const rows = results.filter((r) => r.k === k && r.n === n && r.batch === batch);
    console.log(`| ${k}×${n} | ${batch} | ${fmt(rows[0].denseMs)} | ${rows.map((r) => `${fmt(r.sparseMs)} (${r.ratio.toFixed(1)}×)`).join(' | ')} |`);
  }
}
const other = CLOCK === 'cpu' ? 'wall' : 'cpu';
console.log(`\nThe same calls on the ${other} clock, dense / sparse:`);
console.log(`| weights K×N | batch | ${SPARSITIES.map((s) => `${s * 100}%`).join(' | ')} |`);
console.log(`|---|---|${SPARSITIES.map(() => '---').join('|')}|`);
for (const [k, n] of SHAPES) {
  for (const batch of BATCHES) {
    const rows = results.filter((r) => r.k === k && r.n === n && r.batch === batch);
    console.log(`| ${k}×${n} | ${batch} | ${rows.map((r) => `${r[other].ratio.toFixed(1)}×`).join(' | ')} |`);
  }
}
console.log('\nCrossover (lowest measured sparsity where sparse is faster; "none" = dense wins at every one):');
for (const [k, n] of SHAPES) {
  const line = BATCHES.map((batch) => {
    const win = results.filter((r) => r.k === k && r.n === n && r.batch === batch && r.ratio > 1).map((r) => r.sparsity);
    return `batch ${batch}: ${win.length ? `${Math.min(...win) * 100}%` : 'none'}`;
  });
  console.log(`- ${k}×${n}: ${line.join(', ')}`);
}
console.log(`\nBytes of the sparse form / dense float32: ${SPARSITIES.map((s) => `${s * 100}% ${results.find((r) => r.sparsity === s).bytesRatio.toFixed(3)}`).join(', ')} (784×300)`);
mkdirSync('bench/.tmp', { recursive: true });
writeFileSync('bench/.tmp/sparse-latest.json', JSON.stringify({ build, rounds: ROUNDS, results }, null, 1));
