// Does a k×k convolution pay sparse through im2col? tfjs-backend-wasm's dense tf.fused.conv2d
// (XNNPACK) against sparseConv2d (im2col written by the Wasm kernel straight into the transposed
// panels) and against im2col built from tfjs ops (kh·kw slices concatenated along the channels:
// column (ky·kw + kx)·c + ch, the filter [kh, kw, c, f] read as [kh·kw·c, f]) followed by
// sparseMatMul, on the same 90%-pruned filter, valid padding, stride 1, relu, with bias. Also
// reports whether the two agree bit for bit and how much of the sparse time im2col alone takes.
// Strided shapes (SAME, stride 2: a MobileNet-style stem and a downsampling convolution) compare
// dense and sparseConv2d only (the tfjs-op im2col here is stride 1).
//   node bench/sparse-conv.mjs [--sparsity=0.9] [--batches=1,8] [--rounds=3] [--time=MS] [--clock=cpu|wall]
// Shapes: the two convolutions of the MNIST CNN (scripts/mnist-common.mjs smallCnn: conv1 3×3×1→8
// on 28×28, conv2 3×3×8→16 on 13×13) and two wider ones of VGG/ResNet-like stages.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { packSparse, registerSparseKernels, sparseConv2d, sparseMatMul, SparseWeights } from '../dist/sparse.mjs';
import { benchOptions, normalWeights, pruneBelow as prune, timeTurns } from './lib.mjs';

const { opt } = benchOptions();
const SPARSITY = Number(opt('sparsity', '0.9'));
const BATCHES = opt('batches', '1,8').split(',').map(Number);
const ROUNDS = Number(opt('rounds', '3'));
const TIME = Number(opt('time', '60'));
const CLOCK = opt('clock', 'cpu');
// [name, h, w, c, kh, f, stride] (stride 1: valid padding; stride 2: same)
const SHAPES = [
  ['MNIST CNN conv1', 28, 28, 1, 3, 8, 1],
  ['MNIST CNN conv2', 13, 13, 8, 3, 16, 1],
  ['3×3 64→64 on 28×28', 28, 28, 64, 3, 64, 1],
  ['3×3 128→128 on 14×14', 14, 14, 128, 3, 128, 1],
  ['stem 3×3/2 SAME 3→32 on 224×224', 224, 224, 3, 3, 32, 2],
  ['3×3/2 SAME 64→128 on 56×56', 56, 56, 64, 3, 128, 2],
];

await tf.setBackend('wasm');
await registerSparseKernels();

function im2col(x, kh, kw) {
  const [b, h, w, c] = x.shape;
  const oh = h - kh + 1;
  const ow = w - kw + 1;
  const parts = [];
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) parts.push(tf.slice(x, [0, ky, kx, 0], [b, oh, ow, c]));
  return tf.reshape(tf.concat(parts, 3), [b * oh * ow, kh * kw * c]);
}

console.log(`sparsity ${SPARSITY}; ${CLOCK} clock; ${ROUNDS} rounds; tfjs ${tf.version_core}\n`);
console.log('| convolution | batch | dense conv2d ms | sparseConv2d ms (×) | tfjs-op im2col + sparseMatMul ms (×) | of which im2col ms | bit for bit |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, h, w, c, kh, f, stride] of SHAPES) {
  const K = kh * kh * c;
  const wv = prune(normalWeights(K * f, 42), SPARSITY);
  const filter = tf.tensor4d(wv, [kh, kh, c, f]);
  const sw = new SparseWeights(packSparse(wv, K, f));
  const bias = tf.tensor1d(normalWeights(f, 3));
  for (const batch of BATCHES) {
    const x = tf.tensor4d(normalWeights(batch * h * w * c, 7).map(Math.abs), [batch, h, w, c]);
    const oh = h - kh + 1;
    const pad = stride === 1 ? 'valid' : 'same';
    const dense = () => tf.fused.conv2d({ x, filter, strides: stride, pad, bias, activation: 'relu' });
    const sparse = () => tf.tidy(() => tf.reshape(sparseMatMul(im2col(x, kh, kh), sw, { bias, activation: 'relu' }), [batch, oh, oh, f]));
    const cols = () => tf.tidy(() => im2col(x, kh, kh));
    const op = () => sparseConv2d(x, sw, { kernelSize: [kh, kh], padding: pad, strides: stride, bias, activation: 'relu' });
    const fns = stride === 1 ? [dense, op, sparse, cols] : [dense, op];
    const [d, o, s, i] = timeTurns(fns, { rounds: ROUNDS, time: TIME });
    const bits = (t) => new Uint32Array(t.dataSync().buffer);
    const ys = fns.slice(0, 3).map((fn) => fn());
    const equal = (p, q) => p.length === q.length && p.every((v, j) => v === q[j]);
    const same = ys.every((y) => equal(bits(ys[0]), bits(y)));
    tf.dispose([...ys, x]);
    const cell = (t) => `${t[CLOCK].toFixed(3)} (${(d[CLOCK] / t[CLOCK]).toFixed(2)}×)`;
    const rest = s === undefined ? '— | —' : `${cell(s)} | ${i[CLOCK].toFixed(3)}`;
    console.log(`| ${name} (${K}×${f}) | ${batch} | ${d[CLOCK].toFixed(3)} | ${cell(o)} | ${rest} | ${same ? 'yes' : 'no'} |`);
  }
  tf.dispose([filter, bias]);
  sw.dispose();
}
