// Helpers for the training tests: small MNIST subsets as tensors (the project's own loader), small
// seeded models, and zero counting.
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../src/node.js';

export interface Data {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Uint8Array;
  count: number;
}

export async function mnist(split: 'train' | 'test', limit: number, offset = 0): Promise<Data> {
  const d = await loadMnist({ split, limit, offset });
  const x = tf.tensor2d(d.images, [d.count, 784]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(d.labels), 'int32'), 10).toFloat() as tf.Tensor2D);
  return { x, y, labels: d.labels, count: d.count };
}

/** 784 -> hidden... -> 10, ReLU, softmax, seeded Glorot kernels; layers named fc1, fc2, ... */
export function mlp(hidden: number[], seed = 1): tf.Sequential {
  const units = [...hidden, 10];
  return tf.sequential({
    layers: units.map((u, i) =>
      tf.layers.dense({
        name: `fc${i + 1}`,
        units: u,
        activation: i === units.length - 1 ? 'softmax' : 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + i }),
        ...(i === 0 ? { inputShape: [784] } : {}),
      }),
    ),
  });
}

export function accuracy(model: tf.LayersModel, data: Data): number {
  const pred = tf.tidy(() => (model.predict(data.x) as tf.Tensor).argMax(-1).dataSync());
  let ok = 0;
  for (let i = 0; i < data.count; i++) if (pred[i] === data.labels[i]) ok++;
  return ok / data.count;
}

export function zeros(a: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) z++;
  return z;
}

/** Values of the model's variable named `name` (e.g. 'fc1/kernel'). */
export function valuesOf(model: tf.LayersModel, name: string): Float32Array {
  const v = model.weights.find((w) => w.originalName === name);
  if (!v) throw new Error(`no weight ${name}`);
  return v.read().dataSync() as Float32Array;
}

/** Every masked weight is +0 (not -0, not anything else): the count of violations. */
export function maskViolations(model: tf.LayersModel, masks: Map<string, Uint8Array>): number {
  let bad = 0;
  for (const [name, mask] of masks) {
    const v = valuesOf(model, name);
    for (let i = 0; i < v.length; i++) if (mask[i] === 0 && !Object.is(v[i], 0)) bad++;
  }
  return bad;
}
