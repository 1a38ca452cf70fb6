// A strided 1×1 convolution two ways on tfjs-backend-wasm, CPU time per call (best of 3 rounds of
// 200 calls), weights about 80% sparse: tf.stridedSlice of x then sparseMatMul (how graph nodes ran a
// strided 1×1 before), and sparseConv2d at stride 2 (the conv kernel's im2col gathers the pixels;
// how they run now). Also checks the two give the same bits.
//   npm run build && node bench/sparse-pointwise-stride.mjs
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { packSparse, registerSparseKernels, SparseWeights, sparseMatMul, sparseConv2d } from '../dist/sparse.mjs';
await tf.setBackend('wasm'); await registerSparseKernels();
for (const [h, c, f] of [[64, 32, 64], [112, 16, 32], [28, 128, 256]]) {
  const w = Float32Array.from({ length: c * f }, (_, i) => (Math.sin(i * 1.7) > 0.8 ? Math.cos(i) : 0));
  const sw = new SparseWeights(packSparse(w, c, f));
  const x = tf.randomNormal([1, h, h, c]);
  // tfjs-backend-wasm runs ops synchronously: no dataSync in the timed calls (it costs more than the ops).
  const a = () => tf.tidy(() => { const v = tf.stridedSlice(x, [0, 0, 0, 0], x.shape, [1, 2, 2, 1]); sparseMatMul(tf.reshape(v, [-1, c]), sw); });
  const b = () => tf.tidy(() => { sparseConv2d(x, sw, { kernelSize: [1, 1], strides: 2, padding: 'valid' }); });
  const ya = tf.tidy(() => sparseMatMul(tf.reshape(tf.stridedSlice(x, [0, 0, 0, 0], x.shape, [1, 2, 2, 1]), [-1, c]), sw).dataSync());
  const yb = tf.tidy(() => sparseConv2d(x, sw, { kernelSize: [1, 1], strides: 2, padding: 'valid' }).dataSync());
  let same = ya.length === yb.length; for (let i = 0; same && i < ya.length; i++) if (Object.is(ya[i], yb[i]) === false) same = false;
  const t = (fn) => { for (let i = 0; i < 5; i++) fn(); const s = process.cpuUsage(); for (let i = 0; i < 200; i++) fn(); const d = process.cpuUsage(s); return (d.user + d.system) / 200 / 1000; };
  const ta = [], tb = []; for (let r = 0; r < 3; r++) { ta.push(t(a)); tb.push(t(b)); }
  console.log(`1x${h}x${h}x${c} -> ${f}, 1x1 stride 2: stridedSlice+matmul ${Math.min(...ta).toFixed(3)} ms, conv kernel ${Math.min(...tb).toFixed(3)} ms, same bits ${same}`);
}
