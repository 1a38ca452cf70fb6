// One suite, run on every tfjs backend that initialises here: cpu and wasm in Node; cpu, wasm and
// (when Chromium gives it a GL context) webgl in the browser project. Values are checked bit for
// bit against the typed-array API on the same data.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  NaNWeightsError,
  PruneError,
  applyMask,
  copyReport,
  magnitudeMask,
  pruneMagnitude,
  registerPruneKernels,
  resetCopyReport,
} from '../../src/tfjs.js';
import {
  applyMask as applyMaskArray,
  magnitudeMask as maskArray,
  pruneByThreshold,
  pruneToSparsity,
} from '../../src/index.js';
import { availableBackends, backendOf, expectBits, REQUIRED_BACKENDS, wasmBackendMemoryBytes, weights } from './support.js';

await registerPruneKernels();
const BACKENDS = await availableBackends();

const SHAPES: number[][] = [[], [1], [7], [3, 5], [2, 3, 4], [2, 3, 4, 5], [0], [3, 0, 2], [64, 65]];
const SPARSITIES = [0, 0.1, 0.5, 0.73, 0.9, 1];
const THRESHOLDS = [0, 1e-41, 0.05, 0.125, 0.3, 1e30];
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function refPrune(vals: Float32Array, opts: { sparsity: number } | { threshold: number }): Float32Array {
  const w = vals.slice();
  if ('sparsity' in opts) pruneToSparsity(w, opts.sparsity);
  else pruneByThreshold(w, opts.threshold);
  return w;
}

function refMask(vals: Float32Array, opts: { sparsity: number } | { threshold: number }): Float32Array {
  return Float32Array.from(maskArray(vals, opts));
}

describe('environment', () => {
  it('has every required backend', () => {
    console.info(`tfjs backends under test: ${BACKENDS.join(', ')}`);
    if (BACKENDS.includes('webgl')) {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      console.info(`webgl: version ${tf.env().getNumber('WEBGL_VERSION')}, renderer ${info ? String(gl?.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown'}`);
    }
    for (const name of REQUIRED_BACKENDS) expect(BACKENDS).toContain(name);
  });

  it('registerPruneKernels is idempotent', async () => {
    await registerPruneKernels();
    await Promise.all([registerPruneKernels(), registerPruneKernels()]);
    for (const name of ['PruneMagnitude', 'PruneMagnitudeMask', 'PruneApplyMask']) {
      for (const backend of BACKENDS) expect(tf.getKernel(name, backend)).toBeDefined();
      expect(tf.getGradient(name)).toBeDefined();
    }
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
  });

  describe('values match the typed-array API', () => {
    it.each(SHAPES.map((s) => [JSON.stringify(s), s] as const))('shape %s, every sparsity and threshold', (_, shape) => {
      const vals = weights(size(shape), 11 + shape.length);
      const x = tf.tensor(vals, shape, 'float32');
      const options = [...SPARSITIES.map((sparsity) => ({ sparsity })), ...THRESHOLDS.map((threshold) => ({ threshold }))];
      for (const opts of options) {
        const y = pruneMagnitude(x, opts);
        const m = magnitudeMask(x, opts);
        expect(y.shape).toEqual(shape);
        expect(y.dtype).toBe('float32');
        expect(m.shape).toEqual(shape);
        expect(m.dtype).toBe('float32');
        expectBits(y.dataSync(), refPrune(vals, opts));
        expectBits(m.dataSync(), refMask(vals, opts));
        tf.dispose([y, m]);
      }
      x.dispose();
    });

    it('ties at the threshold go lowest index first', () => {
      const x = tf.tensor([0.5, -0.5, 0.5, 1, -0.5, 0.5, 2, 0.5]);
      const y = pruneMagnitude(x, { sparsity: 0.5 });
      expectBits(y.dataSync(), [0, 0, 0, 1, 0, 0.5, 2, 0.5]);
      tf.dispose([x, y]);
    });

    it('a bucket too large for the gather area (three-pass select)', () => {
      const vals = new Float32Array(100_003).fill(0.5);
      for (let i = 0; i < vals.length; i += 7) vals[i] = 0.5 + (i % 11) * 1e-7;
      const x = tf.tensor(vals);
      for (const sparsity of [0.3, 0.95]) {
        const y = pruneMagnitude(x, { sparsity });
        expectBits(y.dataSync(), refPrune(vals, { sparsity }));
        y.dispose();
      }
      x.dispose();
    });

    it('accepts TensorLike input', () => {
      const y = pruneMagnitude([[0.1, -3], [2, -0.2]], { threshold: 1 });
      expect(y.shape).toEqual([2, 2]);
      expectBits(y.dataSync(), [0, -3, 2, 0]);
      y.dispose();
    });

    it('leaves the input untouched', () => {
      const vals = weights(1000, 5);
      const x = tf.tensor(vals);
      tf.dispose([pruneMagnitude(x, { sparsity: 0.9 }), magnitudeMask(x, { sparsity: 0.9 })]);
      expectBits(x.dataSync(), vals);
      x.dispose();
    });

    it('returns a tensor on the same backend', () => {
      const x = tf.tensor(weights(100, 1));
      const y = pruneMagnitude(x, { sparsity: 0.5 });
      expect(backendOf(y)).toBe(tf.backend());
      const z = tf.add(y, 1); // and it composes with the backend's own ops
      expect(z.shape).toEqual([100]);
      tf.dispose([x, y, z]);
    });
  });

  describe('applyMask', () => {
    it.each(['float32', 'int32', 'bool'] as const)('with a %s mask', (dtype) => {
      const vals = weights(2 * 3 * 37, 3);
      const bits = Uint8Array.from(vals, (_, i) => (i % 3 === 0 ? 0 : 1));
      const maskValues = dtype === 'float32' ? Float32Array.from(bits, (b, i) => (b ? (i % 2 ? 2.5 : -1) : i % 2 ? -0 : 0))
        : dtype === 'int32' ? Int32Array.from(bits, (b, i) => (b ? (i % 2 ? -1 : 7) : 0))
          : bits;
      const x = tf.tensor(vals, [2, 3, 37]);
      const mask = tf.tensor(maskValues, [2, 3, 37], dtype);
      const y = applyMask(x, mask);
      const ref = vals.slice();
      applyMaskArray(ref, bits);
      expect(y.shape).toEqual([2, 3, 37]);
      expectBits(y.dataSync(), ref);
      tf.dispose([x, mask, y]);
    });

    it('with the mask magnitudeMask returns, equals pruneMagnitude', () => {
      const x = tf.tensor(weights(999, 8), [27, 37]);
      const m = magnitudeMask(x, { sparsity: 0.6 });
      const a = applyMask(x, m);
      const b = pruneMagnitude(x, { sparsity: 0.6 });
      expectBits(a.dataSync(), b.dataSync());
      tf.dispose([x, m, a, b]);
    });
  });

  describe('errors', () => {
    it.each(['int32', 'bool'] as const)('%s input is refused, naming op, tensor, dtype and shape', (dtype) => {
      const x = tf.zeros([2, 3], dtype);
      expect(() => pruneMagnitude(x, { sparsity: 0.5 })).toThrow(ArgumentError);
      expect(() => pruneMagnitude(x, { sparsity: 0.5 })).toThrow(`pruneMagnitude: x (${dtype}[2,3]) must be float32`);
      expect(() => magnitudeMask(x, { threshold: 1 })).toThrow(`magnitudeMask: x (${dtype}[2,3]) must be float32`);
      expect(() => applyMask(x, tf.ones([2, 3]))).toThrow(`applyMask: x (${dtype}[2,3]) must be float32`);
      x.dispose();
    });

    it('bad options, as the typed-array API words them', () => {
      const x = tf.ones([4]);
      const bad: [unknown, string][] = [
        [{ sparsity: 1.5 }, 'pruneMagnitude: sparsity must be a number in [0, 1], got 1.5'],
        [{ sparsity: NaN }, 'pruneMagnitude: sparsity must be a number in [0, 1], got NaN'],
        [{ threshold: -1 }, 'pruneMagnitude: threshold must be a finite number >= 0, got -1'],
        [{ threshold: Infinity }, 'pruneMagnitude: threshold must be a finite number >= 0, got Infinity'],
        [{ sparsity: 0.5, threshold: 1 }, 'pruneMagnitude: options must have exactly one of sparsity and threshold'],
        [{}, 'pruneMagnitude: options must have exactly one of sparsity and threshold'],
        [null, 'pruneMagnitude: options must be { sparsity } or { threshold }, got null'],
      ];
      for (const [opts, message] of bad) {
        expect(() => pruneMagnitude(x, opts as { sparsity: number })).toThrow(ArgumentError);
        expect(() => pruneMagnitude(x, opts as { sparsity: number })).toThrow(message);
      }
      x.dispose();
    });

    it('NaN weights: NaNWeightsError naming the variable, count and first index', () => {
      const w = tf.variable(tf.tensor([1, NaN, 2, NaN]), true, 'dense/kernel');
      for (const opts of [{ sparsity: 0.5 }, { sparsity: 0 }, { threshold: 1 }]) {
        let err: unknown;
        try {
          pruneMagnitude(w, opts);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(NaNWeightsError);
        expect((err as NaNWeightsError).count).toBe(2);
        expect((err as NaNWeightsError).firstIndex).toBe(1);
        expect((err as Error).message).toBe(
          'pruneMagnitude: x "dense/kernel" (float32[4]) contains 2 NaN values (first at index 1); a NaN has no magnitude to rank',
        );
      }
      expect(() => magnitudeMask(w, { sparsity: 0.5 })).toThrow('magnitudeMask: x "dense/kernel" (float32[4]) contains 2 NaN values');
      w.dispose();
    });

    it('a NaN leaks nothing', () => {
      const x = tf.tensor([1, NaN, 3]);
      const before = tf.memory().numTensors;
      const ids = tf.backend().numDataIds();
      expect(() => pruneMagnitude(x, { sparsity: 0.5 })).toThrow(NaNWeightsError);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(ids);
      x.dispose();
    });

    it('applyMask: mask of another shape or dtype', () => {
      const x = tf.ones([2, 3]);
      const m = tf.ones([3, 2]);
      expect(() => applyMask(x, m)).toThrow("applyMask: mask (float32[3,2]) must have the shape of x (float32[2,3])");
      const s = tf.tensor(['a', 'b', 'c', 'd', 'e', 'f'], [2, 3]);
      expect(() => applyMask(x, s)).toThrow('applyMask: mask (string[2,3]) must be float32, int32 or bool');
      tf.dispose([x, m, s]);
    });

    // WasmError's code (an op before init) is checked in registration.test.ts.
    it('errors are PruneError subclasses with codes', () => {
      const x = tf.zeros([1], 'int32');
      const m = tf.ones([1]);
      const ops = [() => pruneMagnitude(x, { sparsity: 0 }), () => magnitudeMask(x, { threshold: 1 }), () => applyMask(x, m)];
      for (const op of ops) {
        expect(op).toThrow(PruneError);
        expect(op).toThrow(expect.objectContaining({ name: 'ArgumentError', code: 'BAD_ARGUMENT' }));
      }
      tf.dispose([x, m]);
    });
  });

  describe('gradients', () => {
    it('tf.grad is straight-through on the survivors', () => {
      const vals = weights(60, 21).map((v) => (Number.isFinite(v) ? v : 0.7));
      const x = tf.tensor(vals, [6, 10]);
      const c = tf.randomUniform([6, 10], -1, 1, 'float32', 3);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pruneMagnitude(t, { sparsity: 0.5 }), c)))(x);
      const mask = refMask(vals, { sparsity: 0.5 });
      const cv = c.dataSync();
      expectBits(g.dataSync(), Float32Array.from(mask, (m, i) => (m ? cv[i] : 0)));
      tf.dispose([x, c, g]);
    });

    it('magnitudeMask has zero gradient; applyMask passes dy where the mask is nonzero', () => {
      const x = tf.tensor([0.1, -2, 3, -0.4]);
      const gMask = tf.grad((t: tf.Tensor) => tf.sum(magnitudeMask(t, { sparsity: 0.5 })))(x);
      expectBits(gMask.dataSync(), [0, 0, 0, 0]);
      const m = tf.tensor([1, 0, 1, 0]);
      const [gx, gm] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(applyMask(a, b), 3)))([x, m]);
      expectBits(gx.dataSync(), [3, 0, 3, 0]);
      expectBits(gm.dataSync(), [0, 0, 0, 0]);
      tf.dispose([x, gMask, m, gx, gm]);
    });

    it('optimizer.minimize trains through pruneMagnitude; pruned weights stay put', () => {
      const init = [0.05, -1, 0.9, -0.02, 2, 0.5, -0.01, 1.5];
      const w = tf.variable(tf.tensor(init), true, 'w');
      const target = tf.tensor([0, 0, 0, 0, 0, 0, 0, 0]);
      const opt = tf.train.sgd(0.1);
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const loss = opt.minimize(() => tf.sum(tf.square(tf.sub(pruneMagnitude(w, { sparsity: 0.5 }), target))) as tf.Scalar, true);
        loss?.dispose();
      }
      expect(tf.memory().numTensors).toBe(before + 0);
      const after = w.dataSync();
      // survivors shrink by lr·2w each step; the 4 pruned (smallest) get no gradient
      const pruned = [0, 3, 5, 6];
      for (let i = 0; i < init.length; i++) {
        if (pruned.includes(i)) expect(after[i]).toBe(Math.fround(init[i]));
        else expect(Math.abs(after[i])).toBeCloseTo(Math.abs(init[i]) * 0.8 ** 3, 5);
      }
      opt.dispose();
      tf.dispose([w, target]);
    });
  });

  describe('memory', () => {
    it('leaks no tensors outside tf.tidy and works inside it', () => {
      const x = tf.tensor(weights(5000, 2), [50, 100]);
      const mask = tf.ones([50, 100], 'bool');
      const before = tf.memory().numTensors;
      const ids = tf.backend().numDataIds();
      const outs = [pruneMagnitude(x, { sparsity: 0.5 }), magnitudeMask(x, { threshold: 0.1 }), applyMask(x, mask)];
      expect(tf.memory().numTensors).toBe(before + 3);
      tf.dispose(outs);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(ids);
      const kept = tf.tidy(() => {
        const y = pruneMagnitude(x, { sparsity: 0.3 });
        const m = magnitudeMask(y, { sparsity: 0.6 });
        return applyMask(y, m);
      });
      expect(tf.memory().numTensors).toBe(before + 1);
      kept.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(ids);
      tf.dispose([x, mask]);
    });

    if (backend === 'wasm') it("does not grow the wasm backend's memory over repeated calls", () => {
      const x = tf.tensor(weights(1 << 20, 4));
      const m = tf.ones([1 << 20], 'bool');
      const run = () => tf.dispose([pruneMagnitude(x, { sparsity: 0.5 }), magnitudeMask(x, { sparsity: 0.5 }), applyMask(x, m)]);
      run();
      const bytes = wasmBackendMemoryBytes();
      const ids = tf.backend().numDataIds();
      for (let i = 0; i < 30; i++) run(); // a leaked 4 MiB output or 288 KiB of scratch per call would show
      expect(wasmBackendMemoryBytes()).toBe(bytes);
      expect(tf.backend().numDataIds()).toBe(ids);
      tf.dispose([x, m]);
    });
  });

  describe('bytes copied per call', () => {
    it(`counts them (${backend === 'wasm' ? 'zero' : backend === 'cpu' ? 'one copy in, one out' : 'fallback through the cpu path'})`, () => {
      const n = 3000;
      const x = tf.tensor(weights(n, 9));
      const m = tf.ones([n], 'bool');
      const per: Record<string, number> = {};
      for (const [name, f] of [
        ['pruneMagnitude', () => pruneMagnitude(x, { sparsity: 0.5 })],
        ['magnitudeMask', () => magnitudeMask(x, { threshold: 0.1 })],
        ['applyMask', () => applyMask(x, m)],
      ] as const) {
        resetCopyReport();
        f().dispose();
        const r = copyReport();
        expect(r.calls).toBe(1);
        per[name] = r.bytesCopied;
        expect(r.last?.path).toBe(backend === 'wasm' ? 'zero-copy' : backend === 'cpu' ? 'copy' : 'fallback');
        expect(r.last?.backend).toBe(backend);
      }
      const expected = backend === 'wasm' ? [0, 0, 0]
        : backend === 'cpu' ? [8 * n, 8 * n, 8 * n + n]
          : [16 * n, 16 * n, 16 * n + 2 * n];
      expect([per.pruneMagnitude, per.magnitudeMask, per.applyMask]).toEqual(expected);
      tf.dispose([x, m]);
    });
  });
});

