// Registration is explicit: importing the ops registers nothing, and an op before
// registerPruneKernels() says what to do. (A file of its own: it needs a fresh module graph.)
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { WasmError, pruneMagnitude, registerPruneKernels } from '../../src/tfjs.js';

describe('registerPruneKernels', () => {
  it('nothing works before it, everything after', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor([1, -2, 0.5]);
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      pruneMagnitude(x, { sparsity: 0.5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmError);
    expect((err as WasmError).code).toBe('WASM_NOT_INITIALIZED');
    expect((err as Error).message).toBe('pruneMagnitude: the prune kernels are not registered; await registerPruneKernels() first');
    expect(tf.memory().numTensors).toBe(before);
    await registerPruneKernels();
    const y = pruneMagnitude(x, { sparsity: 0.5 });
    expect(Array.from(y.dataSync())).toEqual([0, -2, 0]);
    tf.dispose([x, y]);
  });
});
