// registerSparseKernels: the build it picks, a module passed in (the way for runtimes that forbid
// compiling Wasm from bytes), and refusals that name what is wrong.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { lastKernelPath, packSparse, registerSparseKernels, sparseMatMul, SparseWeights } from '../../src/sparse/index.js';

const dist = (f: string) => readFileSync(new URL(`../../dist/wasm/${f}`, import.meta.url));

describe('registerSparseKernels', () => {
  it('picks SIMD here, scalar when asked, and takes a module of either build', async () => {
    expect(await registerSparseKernels()).toBe('simd');
    expect(await registerSparseKernels({ build: 'scalar' })).toBe('scalar');
    expect(await registerSparseKernels({ build: 'js' })).toBe('js');
    expect(await registerSparseKernels({ sparseModule: dist('sparse-scalar.wasm') })).toBe('scalar');
    expect(await registerSparseKernels({ sparseModule: new WebAssembly.Module(dist('sparse-simd.wasm')) })).toBe('simd');
    await tf.setBackend('wasm');
    const sw = new SparseWeights(packSparse(new Float32Array([1, 0, 0, 2, 3, 0]), 3, 2));
    const y = sparseMatMul(tf.tensor2d([[1, 2, 3]]), sw);
    expect(lastKernelPath()).toBe('zero-copy');
    expect(Array.from(y.dataSync())).toEqual([10, 4]);
    sw.dispose();
  });

  it('refuses a module that is not a sparse build, and bytes that do not compile', async () => {
    await expect(registerSparseKernels({ sparseModule: dist('tensor-simd.wasm') })).rejects.toThrow(ArgumentError);
    await expect(registerSparseKernels({ sparseModule: dist('tensor-simd.wasm') })).rejects.toThrow(/is not a sparse kernel build/);
    await expect(registerSparseKernels({ sparseModule: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/does not compile/);
    await registerSparseKernels();
  });
});
