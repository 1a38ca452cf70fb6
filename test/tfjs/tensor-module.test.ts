// registerPruneKernels({ tensorModule }): the tensor kernels given by the caller, precompiled or
// as bytes (for runtimes that forbid compiling Wasm from bytes, e.g. Cloudflare Workers; the real
// workerd run is in test/runtimes/runtimes-tfjs.test.ts). (A file of its own: registration is
// global state.)
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, pruneMagnitude, registerPruneKernels } from '../../src/tfjs.js';
import { pruneToSparsity } from '../../src/index.js';
import { coreHeap, decodeBase64, tensorKernelsOn } from '../../src/wasm/index.js';
import { simdBase64 } from '../../src/wasm/binaries.generated.js';
import { tensorSimdBase64 } from '../../src/wasm/tensor-binaries.generated.js';
import { tensorScalarBase64 } from '../../src/wasm/tensor-scalar.generated.js';
import { tensorSharedBase64 } from '../../src/wasm/tensor-shared.generated.js';
import { expectBits, weights } from './support.js';

const bytes = (b64: string) => decodeBase64(b64) as Uint8Array<ArrayBuffer>;
const buildInUse = () => tensorKernelsOn(coreHeap('test').memory, 'test').build;

async function pruneOnCpu(): Promise<void> {
  await tf.setBackend('cpu');
  const w = weights(1000, 7);
  const y = pruneMagnitude(tf.tensor(w), { sparsity: 0.8 });
  const expected = w.slice();
  pruneToSparsity(expected, 0.8);
  expectBits(y.dataSync(), expected);
  y.dispose();
}

describe('registerPruneKernels({ tensorModule })', () => {
  it('takes a precompiled WebAssembly.Module (the scalar build here) and runs it', async () => {
    await registerPruneKernels({ tensorModule: await WebAssembly.compile(bytes(tensorScalarBase64)) });
    expect(buildInUse()).toBe('scalar');
    await pruneOnCpu();
  });

  it('takes bytes (the SIMD build)', async () => {
    await registerPruneKernels({ tensorModule: bytes(tensorSimdBase64) });
    expect(buildInUse()).toBe('simd');
    await pruneOnCpu();
  });

  it('refuses what is not an unshared tensor build, naming it', async () => {
    const refused = async (tensorModule: unknown, message: RegExp) => {
      const err = await registerPruneKernels({ tensorModule } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArgumentError);
      expect((err as Error).message).toMatch(message);
    };
    await refused(bytes(simdBase64), /^registerPruneKernels: tensorModule .* is not a tensor kernel build \(missing exports: /);
    await refused(new Uint8Array([0, 97, 115, 109, 9, 9]), /^registerPruneKernels: tensorModule .* does not compile: /);
    await refused('tensor-simd.wasm', /^registerPruneKernels: tensorModule .* has the wrong type: \[object String\]/);
    await refused(bytes(tensorSharedBase64), /^registerPruneKernels: tensorModule must be tensor-simd.wasm or tensor-scalar.wasm/);
    // The build registered before is still the one in use.
    expect(buildInUse()).toBe('simd');
    await pruneOnCpu();
  });
});
