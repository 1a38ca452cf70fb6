// Shared by scripts/train-mnist-mlp.mjs and the training benches (bench/training-*.mjs): tfjs on
// its wasm backend in Node, MNIST as tensors (read by tfjs-prune's own loader, dist/node.mjs),
// LeNet-300-100, seeded shuffling and evaluation. Run `npm run build` first.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadMnist } from '../dist/node.mjs';

/** tfjs-backend-wasm (SIMD, single thread in Node): the fastest backend available here. */
export async function setupTf(backend = 'wasm') {
  if (backend === 'wasm') registerWasmConv2DBackpropFilter();
  await tf.setBackend(backend);
  await tf.ready();
  return tf;
}

/**
 * tfjs-backend-wasm 4.22 cannot train a Conv2D: it has no Conv2DBackpropFilter kernel (the
 * gradient of the filter), and the cpu backend is 40x slower on the TF MOT tutorial CNN. It does
 * have Conv3DBackpropFilterV2, and a 2-D convolution is a 3-D one of depth 1: x [b, h, w, c] is
 * x [b, 1, h, w, c], the filter [kh, kw, ci, co] is [1, kh, kw, ci, co]. Reshapes are free (same
 * data, another shape), so this kernel only relabels shapes around the native one. NHWC, no
 * dilation (tfjs' conv2d gradient refuses dilation anyway), stride 1, pad 'valid', 'same' or a
 * number. Checked against the cpu backend's gradient (relative difference ~1e-5) for stride 1 with
 * both paddings; with stride 2 the two disagree, so strides > 1 are refused.
 */
export function registerWasmConv2DBackpropFilter() {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, filterShape } = attrs;
      if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm shim): dataFormat ${dataFormat} is not supported`);
      if (typeof pad !== 'number' && pad !== 'valid' && pad !== 'same') throw new Error(`Conv2DBackpropFilter (wasm shim): explicit padding is not supported`);
      const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm').kernelFunc;
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      // Strides > 1 disagree with the cpu backend's gradient through this route: refused.
      if (sh !== 1 || sw !== 1) throw new Error(`Conv2DBackpropFilter (wasm shim): strides other than 1 are not supported, got ${sh}x${sw}`);
      const dw = conv3d({
        inputs: { x: { ...x, shape: [x.shape[0], 1, ...x.shape.slice(1)] }, dy: { ...dy, shape: [dy.shape[0], 1, ...dy.shape.slice(1)] } },
        backend,
        attrs: { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] },
      });
      return { ...dw, shape: [...filterShape] };
    },
  });
}

/** MNIST examples as { x: float32[n, 784] in [0, 1], y: one-hot float32[n, 10], labels, count }. */
export async function mnistTensors(split, options = {}) {
  const d = await loadMnist({ split, ...options });
  return fromArrays(d.images, d.labels, d.count);
}

function fromArrays(images, labels, count) {
  const x = tf.tensor2d(images, [count, 784]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10).toFloat());
  return { x, y, labels, count, images };
}

/** mulberry32: a small seeded generator, so shuffles are the same on every run. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The training set in a seeded random order (Fisher–Yates), as fresh tensors; dispose them. */
export function shuffled(data, random) {
  const n = data.count;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const idx = tf.tensor1d(perm, 'int32');
  const out = { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
  idx.dispose();
  return out;
}

/**
 * LeNet-300-100 (LeCun et al. 1998; the network of Han et al. 2015, Table 1): 784-300-100-10,
 * ReLU, softmax; Glorot-uniform kernels from fixed seeds. Layer names fc1..fc3. `l2` adds an L2
 * penalty on the kernels (l2 · Σw²), as the Caffe weight decay Han et al. retrained with.
 */
export function lenet300100(seed = 1, { l2 = 0 } = {}) {
  const init = (k) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const reg = l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {};
  return tf.sequential({
    name: 'lenet_300_100',
    layers: [
      tf.layers.dense({ name: 'fc1', units: 300, activation: 'relu', inputShape: [784], kernelInitializer: init(1), ...reg }),
      tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: init(2), ...reg }),
      tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init(3), ...reg }),
    ],
  });
}

/**
 * The small CNN of TF Model Optimization's Keras pruning tutorial ("Pruning in Keras example"):
 * Reshape(28, 28, 1), Conv2D(12, 3x3, relu), MaxPooling2D(2x2), Flatten, Dense(10).
 * Softmax is folded into the loss there; here the last layer has it, as tfjs losses expect.
 * `l2` adds an L2 penalty on both kernels.
 */
export function tutorialCnn(seed = 1, { l2 = 0 } = {}) {
  const init = (k) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const reg = l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {};
  return tf.sequential({
    name: 'mot_tutorial_cnn',
    layers: [
      tf.layers.reshape({ name: 'reshape', targetShape: [28, 28, 1], inputShape: [784] }),
      tf.layers.conv2d({ name: 'conv', filters: 12, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), ...reg }),
      tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense', units: 10, activation: 'softmax', kernelInitializer: init(2), ...reg }),
    ],
  });
}

/** Classification accuracy of `model` on { x, labels }, in batches of 1000. */
/**
 * The small MNIST CNN of bench/sensitivity.mjs and bench/oneshot-cnn.mjs: Conv2D 8 3x3, MaxPool,
 * Conv2D 16 3x3, MaxPool, Flatten, [Dense `hidden`], Dense 10 (seeded Glorot initializers).
 */
export function smallCnn({ seed = 1, hidden = 64 } = {}) {
  const init = (k) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  return tf.sequential({
    name: 'small_cnn',
    layers: [
      tf.layers.reshape({ name: 'reshape', targetShape: [28, 28, 1], inputShape: [784] }),
      tf.layers.conv2d({ name: 'conv1', filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      ...(hidden > 0 ? [tf.layers.dense({ name: 'fc1', units: hidden, activation: 'relu', kernelInitializer: init(3) })] : []),
      tf.layers.dense({ name: hidden > 0 ? 'fc2' : 'dense', units: 10, activation: 'softmax', kernelInitializer: init(hidden > 0 ? 4 : 3) }),
    ],
  });
}

export function accuracy(model, data, batch = 1000) {
  let correct = 0;
  for (let start = 0; start < data.count; start += batch) {
    const size = Math.min(batch, data.count - start);
    const pred = tf.tidy(() => model.predict(data.x.slice([start, 0], [size, 784])).argMax(-1).dataSync());
    for (let i = 0; i < size; i++) if (pred[i] === data.labels[start + i]) correct++;
  }
  return correct / data.count;
}

/** Sparsity over the kernels (rank >= 2 weights) and over all weights of a model. */
export function sparsityOf(model) {
  let kz = 0;
  let kn = 0;
  let z = 0;
  let n = 0;
  for (const w of model.weights) {
    const v = w.read().dataSync();
    let zeros = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    z += zeros;
    n += v.length;
    if (w.shape.length >= 2) {
      kz += zeros;
      kn += v.length;
    }
  }
  return { kernels: kz / kn, all: z / n, kernelParams: kn, params: n, nonzero: n - z };
}

export const pct = (x, digits = 2) => `${(100 * x).toFixed(digits)}%`;

/** `--name=value` and `--flag` arguments. */
export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    out[m[1]] = m[2] ?? true;
  }
  return out;
}

export { tf };
