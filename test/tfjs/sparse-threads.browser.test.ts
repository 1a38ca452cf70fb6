// sparseMatMul on the threaded tfjs wasm backend (shared memory; the `browser-threads` project).
// There is no shared-memory sparse build yet: the kernel must notice and take the readSync path,
// with results still equal to the dense product bit for bit.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastKernelPath, packSparse, registerSparseKernels, sparseMatMul, SparseWeights } from '../../src/sparse/index.js';
import { expectBits } from './support.js';

/** Finite inputs (x holding ±Infinity or NaN where a weight is pruned is the documented exception). */
const finite = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * 2);

describe('sparseMatMul, threaded wasm backend', () => {
  it('falls back to readSync + pure JS on the shared memory, bit for bit with fused matMul', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const w = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm;
    expect(w.wasmMemory?.buffer).toBeInstanceOf(SharedArrayBuffer);
    await registerSparseKernels();
    const [k, n] = [300, 70];
    const wv = finite(k * n, 3).map((v, i) => (i % 9 === 0 ? v : 0));
    const sw = new SparseWeights(packSparse(wv, k, n));
    for (const rows of [1, 13]) {
      const x = tf.tensor2d(finite(rows * k, rows), [rows, k]);
      const b = tf.tensor1d(finite(n, 5));
      const y = sparseMatMul(x, sw, { bias: b, activation: 'relu' });
      expect(lastKernelPath()).toBe('readSync');
      expectBits(y.dataSync(), tf.fused.matMul({ a: x, b: tf.tensor2d(wv, [k, n]), bias: b, activation: 'relu' }).dataSync());
    }
    sw.dispose();
  });
});
