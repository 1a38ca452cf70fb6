// Feature detection of the zero-copy path, and the copying fallback, on real tfjs backends.
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { zeroCopyOn } from '../../src/tfjs/kernels/wasm.js';
import { PRUNE_KERNEL_NAMES, copyReport, magnitudeMask, pruneMagnitude, registerPruneKernels, resetCopyReport } from '../../src/tfjs.js';
import { pruneToSparsity } from '../../src/index.js';
import { expectBits, weights } from './support.js';

await registerPruneKernels();

describe('zero-copy detection on the wasm backend', () => {
  it('finds the memory, allocator and tensor offsets, and passes its self-test', async () => {
    await tf.setBackend('wasm');
    const zc = zeroCopyOn(tf.backend());
    expect(zc).not.toBeNull();
    expect(['simd', 'scalar']).toContain(zc!.k.build);
    const x = tf.tensor([1, 2, 3]);
    const off = zc!.offset(x.dataId);
    expect(off).toBeTypeOf('number');
    expectBits(zc!.k.f32.subarray(off! >>> 2, (off! >>> 2) + 3), [1, 2, 3]);
    x.dispose();
  });

  // The same live backend seen through a view with one internal changed, as a later tfjs might.
  const variants: [string, (b: Record<string, unknown>, w: Record<string, unknown>) => object][] = [
    ['no memory on the module', (b, w) => ({ ...b, readSync: b.readSync, makeOutput: b.makeOutput, disposeData: b.disposeData, wasm: { ...w, asm: {}, wasmMemory: undefined } })],
    ['no malloc', (b, w) => withProto(b, { wasm: { ...w, _malloc: undefined, asm: w.asm } })],
    ['no dataIdMap', (b) => withProto(b, { dataIdMap: undefined })],
    ['memoryOffset renamed', (b) => withProto(b, { dataIdMap: { get: () => ({ offset: 0 }) } })],
    ['readSync disagrees with memory (self-test)', (b) => withProto(b, { readSync: () => new Float32Array(8) })],
  ];
  it.each(variants)('%s: no zero copy', async (_, change) => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as Record<string, unknown>;
    const ids = tf.backend().numDataIds();
    expect(zeroCopyOn(change(backend, backend.wasm as Record<string, unknown>))).toBeNull();
    expect(tf.backend().numDataIds()).toBe(ids); // the self-test's tensor is gone again
  });
});

function withProto(b: object, changes: Record<string, unknown>): object {
  return Object.assign(Object.create(b), changes);
}

describe('other backends', () => {
  it('one our kernels have never heard of gets the copying fallback on first use; the tensor stays on it', async () => {
    tf.registerBackend('cpu-elsewhere', () => new MathBackendCPU());
    tf.copyRegisteredKernels('cpu', 'cpu-elsewhere');
    for (const name of PRUNE_KERNEL_NAMES) tf.unregisterKernel(name, 'cpu-elsewhere'); // as if registered after us
    await tf.setBackend('cpu-elsewhere');
    const vals = weights(1000, 4);
    const x = tf.tensor(vals, [10, 100]);
    const before = tf.memory().numTensors;
    resetCopyReport();
    const y = pruneMagnitude(x, { sparsity: 0.6 });
    expect(copyReport().last).toEqual({ kernelName: 'PruneMagnitude', backend: 'cpu-elsewhere', path: 'fallback', bytesCopied: 16 * 1000 });
    const ref = vals.slice();
    pruneToSparsity(ref, 0.6);
    expectBits(y.dataSync(), ref);
    const m = magnitudeMask(x, { threshold: 0.1 });
    expect(m.shape).toEqual([10, 100]);
    expect(tf.getBackend()).toBe('cpu-elsewhere');
    tf.dispose([y, m]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    await tf.setBackend('cpu');
    tf.removeBackend('cpu-elsewhere');
  });

  it('a cpu backend under another name (tf.copyRegisteredKernels) keeps the cpu path', async () => {
    tf.registerBackend('cpu-copy', () => new MathBackendCPU());
    tf.copyRegisteredKernels('cpu', 'cpu-copy');
    await tf.setBackend('cpu-copy');
    const x = tf.tensor(weights(500, 5));
    resetCopyReport();
    pruneMagnitude(x, { threshold: 0.1 }).dispose();
    expect(copyReport().last).toEqual({ kernelName: 'PruneMagnitude', backend: 'cpu-copy', path: 'copy', bytesCopied: 8 * 500 });
    x.dispose();
    await tf.setBackend('cpu');
    tf.removeBackend('cpu-copy');
  });
});
