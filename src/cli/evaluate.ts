/// <reference types="node" />
// Running an MNIST classifier for the demo and for one-shot pruning: tfjs loaded with the best
// backend at hand, and top-1 accuracy of a model (live or as artifacts) on MNIST test images.
import { ArgumentError, type ModelArtifacts } from '../node.js';

export type Tf = typeof import('@tensorflow/tfjs');
type LayersModel = import('@tensorflow/tfjs').LayersModel;

export async function loadTf(backend: string | undefined, who = 'demo'): Promise<{ tf: Tf; backend: string }> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (e) {
    throw new ArgumentError(`${who} needs @tensorflow/tfjs to run the model (npm install @tensorflow/tfjs): ${(e as Error).message.split('\n')[0]}`);
  }
  const want = backend ?? 'auto';
  if (want !== 'auto' && want !== 'wasm' && want !== 'cpu') throw new ArgumentError(`--backend must be wasm, cpu or auto, got '${want}'`);
  if (want !== 'cpu') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm' };
      }
    } catch (e) {
      if (want === 'wasm') throw new ArgumentError(`--backend wasm: @tensorflow/tfjs-backend-wasm cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // Production mode: no per-op debug checks, and no "install tfjs-node" banner on stderr.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}

export interface Mnist {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Top-1 accuracy of the layers model in `artifacts` on `data`, in batches of 1000. */
export async function accuracy(tf: Tf, artifacts: ModelArtifacts, data: Mnist, count = data.count): Promise<number> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    return modelAccuracy(tf, model, data, count);
  } finally {
    model.dispose();
  }
}

/** The input shape (without the batch) of an MNIST classifier; an error for any other model. */
export function mnistInputShape(model: LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  const per = shape.reduce<number>((a, b) => a * (b ?? NaN), 1);
  if (per !== 784 || classes !== 10) {
    throw new ArgumentError(`demo needs an MNIST classifier (784 input values, 10 classes); the model takes [${shape.join(', ')}] and gives ${classes} outputs`);
  }
  return shape as number[];
}

/** Top-1 accuracy of a live model on the first `count` examples of `data`, in batches of 1000. */
export function modelAccuracy(tf: Tf, model: LayersModel, data: Mnist, count = data.count): number {
  const shape = mnistInputShape(model);
  let correct = 0;
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    const pred = tf.tidy(() => {
      const x = tf.tensor(data.images.subarray(start * 784, (start + size) * 784), [size, ...shape]);
      return (model.predict(x) as import('@tensorflow/tfjs').Tensor).argMax(-1).dataSync();
    });
    for (let i = 0; i < size; i++) if (pred[i] === data.labels[start + i]) correct++;
  }
  return correct / count;
}

