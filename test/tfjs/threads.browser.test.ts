// The threaded tfjs wasm backend (SharedArrayBuffer memory, pthreads): only where the page is
// cross-origin isolated, i.e. the `browser-threads` project, whose server sends COOP/COEP headers.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { copyReport, magnitudeMask, pruneMagnitude, registerPruneKernels, resetCopyReport } from '../../src/tfjs.js';
import { magnitudeMask as maskArray, pruneToSparsity } from '../../src/index.js';
import { expectBits, weights } from './support.js';

describe('threaded wasm backend', () => {
  it('runs zero-copy on the shared memory', async () => {
    console.info(`crossOriginIsolated=${String((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)} SAB=${typeof SharedArrayBuffer}`);
    await registerPruneKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
    const w = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm;
    console.info(`threads=${getThreadsCount()} shared=${w.wasmMemory?.buffer instanceof SharedArrayBuffer}`);
    expect(w.wasmMemory?.buffer).toBeInstanceOf(SharedArrayBuffer);
    const vals = weights(100_000, 77);
    const x = tf.tensor(vals, [100, 1000]);
    resetCopyReport();
    const y = pruneMagnitude(x, { sparsity: 0.7 });
    const m = magnitudeMask(x, { sparsity: 0.7 });
    expect(copyReport()).toMatchObject({ calls: 2, bytesCopied: 0, last: { path: 'zero-copy', backend: 'wasm' } });
    const ref = vals.slice();
    pruneToSparsity(ref, 0.7);
    expectBits(y.dataSync(), ref);
    expectBits(m.dataSync(), Float32Array.from(maskArray(vals, { sparsity: 0.7 })));
    tf.dispose([x, y, m]);
  });
});
