// One-shot pruning's products (assembly/oneshot.ts, build/oneshot-{simd,scalar}.wasm) against
// tfjs-backend-wasm's matMul (XNNPACK, float32, one thread) on the same shapes, in the same run:
// should the statistics' XᵀX and XᵀY go through tfjs instead of our own kernel? Median of --reps
// runs after a warm-up; multiply-adds per second (G MAC/s) as the figure, since the machine is
// shared and only ratios within a run mean anything.
//
//   npm run build && nice -n 5 node bench/oneshot-kernels.mjs [--d=1024] [--rows=1024] [--reps=3]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { args, setupTf } from '../scripts/mnist-common.mjs';

const opt = args();
const d = Number(opt.d ?? 1024);
const rows = Number(opt.rows ?? 1024);
const reps = Number(opt.reps ?? 3);
const tf = await setupTf('wasm');

function median(fn) {
  fn();
  const t = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)] / 1000;
}

function instance(build, bytes) {
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 2 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(`build/oneshot-${build}.wasm`)), { env: { memory } }).exports;
  return { ex, memory };
}

const x = new Float32Array(rows * d);
for (let i = 0; i < x.length; i++) x[i] = Math.max(0, Math.sin(i * 12.9898) * 43758.5453 % 1);
console.log(`d ${d}, rows ${rows}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log('| product | implementation | seconds | G MAC/s |');
console.log('|---|---|--:|--:|');
const row = (what, impl, s, macs) => console.log(`| ${what} | ${impl} | ${s.toFixed(3)} | ${(macs / s / 1e9).toFixed(2)} |`);

// H = XᵀX (d x d) from rows x d.
const gramMacs = rows * d * d;
const xt = tf.tensor2d(x, [rows, d]);
const xT = tf.transpose(xt);
row('XᵀX, full', 'tfjs-backend-wasm matMul (XNNPACK; Xᵀ given)', median(() => { const c = tf.matMul(xT, xt); c.dataSync(); c.dispose(); }), gramMacs);
row('XᵀX, full', 'tfjs-backend-wasm matMul(X, X, true) (transposed operand)', median(() => { const c = tf.matMul(xt, xt, true, false); c.dataSync(); c.dispose(); }), gramMacs);
for (const build of ['simd', 'scalar']) {
  const work = 4 * (d * 128 + 256 * 128) + 64;
  const { ex, memory } = instance(build, rows * d * 4 + d * d * 8 + work + 1024);
  const px = 16;
  const ph = px + rows * d * 4;
  const pk = ph + d * d * 8;
  new Float32Array(memory.buffer, px, rows * d).set(x);
  row('XᵀX, full', `gemmF32 (${build})`, median(() => ex.gemmF32(px, d, 1, px, d, 1, rows, d, d, ph, d, 0, pk)), gramMacs);
  row('XᵀX, lower tiles only', `gemmF32 (${build})`, median(() => ex.gemmF32(px, d, 1, px, d, 1, rows, d, d, ph, d, 1, pk)), gramMacs);
}

// A d x d x d float64 product (the solver's: trailing updates, inverse, w* = Uᵀ(U·R)).
{
  const work = 8 * (d * 256 + 128 * 256) + 64;
  for (const build of ['simd', 'scalar']) {
    const { ex, memory } = instance(build, 3 * d * d * 8 + work + 1024);
    const pa = 16;
    const pb = pa + d * d * 8;
    const pc = pb + d * d * 8;
    const pk = pc + d * d * 8;
    const a = new Float64Array(memory.buffer, pa, 2 * d * d);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
    row('C += A·B, float64 d³', `gemmF64 (${build})`, median(() => ex.gemmF64(pa, 1, d, pb, d, 1, d, d, d, pc, d, 1, 0, pk)), d * d * d);
  }
  const a = new Float64Array(d * d).map((_, i) => Math.sin(i));
  const c = new Float64Array(d * d);
  const n = Math.min(d, 256);
  row(`C += A·B, float64 (${n} rows of it)`, 'plain JS i-k-j loop', median(() => {
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) {
      const v = a[i * d + k];
      for (let j = 0; j < d; j++) c[i * d + j] += v * a[k * d + j];
    }
  }), n * d * d);
}
