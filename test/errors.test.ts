// Error paths: each throws the right PruneError subclass with a message naming the function and
// the value, and leaves the caller's array untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allocWeights,
  applyMask,
  ArgumentError,
  countZeros,
  init,
  magnitudeMask,
  magnitudeThreshold,
  NaNWeightsError,
  nmMask,
  pruneByThreshold,
  pruneToSparsity,
  PruneError,
} from '../src/index.js';
import { bits, sameArray } from './support/reference.js';

beforeAll(async () => {
  await init();
});

function expectUntouched(w: Float32Array, fn: () => unknown, kind: typeof PruneError, message: RegExp) {
  const before = bits(w);
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  expect(error).toBeInstanceOf(PruneError);
  expect((error as Error).message).toMatch(message);
  sameArray(bits(w), before, 'weights after the error');
  return error as PruneError;
}

describe('NaN weights', () => {
  // NaNs placed after the first chunk too, so a streamed array is checked before any write-back.
  const w = new Float32Array(200_000).fill(0.25);
  w[3] = -1;
  w[150_001] = NaN;
  w[199_999] = NaN;
  w[170_000] = -NaN;

  it.each([
    ['pruneToSparsity', () => pruneToSparsity(w, 0.5)],
    ['pruneToSparsity', () => pruneToSparsity(w, 0)],
    ['pruneByThreshold', () => pruneByThreshold(w, 0.3)],
    ['magnitudeThreshold', () => magnitudeThreshold(w, 0.9)],
    ['magnitudeMask', () => magnitudeMask(w, { sparsity: 0.5 })],
    ['magnitudeMask', () => magnitudeMask(w, { threshold: 0.5 })],
    ['nmMask', () => nmMask(w, { n: 2, m: 4 })],
  ])('%s says how many and where the first is', (fname, fn) => {
    const e = expectUntouched(w, fn, NaNWeightsError, new RegExp(`^${fname}: weights contain 3 NaN values \\(first at index 150001\\)`));
    expect(e.code).toBe('NAN_WEIGHTS');
    expect((e as NaNWeightsError).count).toBe(3);
    expect((e as NaNWeightsError).firstIndex).toBe(150001);
  });

  it('held in Wasm memory, too', () => {
    const buf = allocWeights(w.length);
    buf.array.set(w);
    expect(() => pruneToSparsity(buf, 0.5)).toThrow(NaNWeightsError);
    expect(() => pruneByThreshold(buf, 0.1)).toThrow(/first at index 150001/);
    sameArray(bits(buf.array), bits(w), 'Wasm-held weights after the error');
    buf.free();
  });

  it('pruneByThreshold with checkNaN: false makes one pass and keeps NaN as it is', () => {
    const x = Float32Array.of(NaN, 0.1, -NaN, 2, -0.2, Infinity);
    const r = pruneByThreshold(x, 0.5, { checkNaN: false });
    expect(r).toEqual({ threshold: 0.5, pruned: 2, kept: 4, sparsity: 2 / 6 });
    expect(Array.from(x)).toEqual([NaN, 0, NaN, 2, 0, Infinity]);
    expect(() => pruneByThreshold(x, 0.5, null as never)).toThrow('pruneByThreshold: options must be an object, got null');
  });

  it('applyMask and countZeros need no magnitudes and accept NaN', () => {
    const x = Float32Array.of(NaN, 1, NaN);
    expect(countZeros(x)).toBe(0);
    expect(applyMask(x, Uint8Array.of(0, 1, 1)).kept).toBe(2);
    expect(Array.from(x)).toEqual([0, 1, NaN]);
  });
});

describe('bad arguments', () => {
  const w = Float32Array.of(0.5, -0.25, 1, 2);

  it.each([1.2, -0.1, NaN, Infinity, '0.5', null])('sparsity %s', (s) => {
    for (const fn of [
      () => pruneToSparsity(w, s as number),
      () => magnitudeThreshold(w, s as number),
      () => magnitudeMask(w, { sparsity: s as number }),
    ]) {
      expectUntouched(w, fn, ArgumentError, /: sparsity must be a number in \[0, 1\], got /);
    }
  });

  it('names the function and the value', () => {
    expect(() => pruneToSparsity(w, 1.2)).toThrow('pruneToSparsity: sparsity must be a number in [0, 1], got 1.2');
  });

  it.each([-1, -1e-30, NaN, Infinity, -Infinity, '1', null])('threshold %s', (t) => {
    expectUntouched(w, () => pruneByThreshold(w, t as number), ArgumentError, /^pruneByThreshold: threshold must be a finite number >= 0/);
    expectUntouched(w, () => magnitudeMask(w, { threshold: t as number }), ArgumentError, /^magnitudeMask: threshold must be/);
  });

  it.each([
    ['a plain Array', [1, 2, 3]],
    ['a Float64Array', new Float64Array(3)],
    ['an Int32Array', new Int32Array(3)],
    ['null', null],
    ['a number', 3],
  ])('weights given as %s', (_, bad) => {
    for (const fn of [
      () => pruneToSparsity(bad as never, 0.5),
      () => pruneByThreshold(bad as never, 0.5),
      () => magnitudeThreshold(bad as never, 0.5),
      () => magnitudeMask(bad as never, { sparsity: 0.5 }),
      () => applyMask(bad as never, new Uint8Array(3)),
      () => countZeros(bad as never),
      () => nmMask(bad as never, { n: 2, m: 4 }),
    ]) {
      expect(fn).toThrow(ArgumentError);
      expect(fn).toThrow(/weights must be a Float32Array or WasmWeights, got /);
    }
  });

  it('a mask of the wrong length or type', () => {
    expectUntouched(w, () => applyMask(w, new Uint8Array(3)), ArgumentError, /^applyMask: mask has 3 entries but weights have 4$/);
    expectUntouched(w, () => applyMask(w, [1, 1, 1, 1] as never), ArgumentError, /^applyMask: mask must be a Uint8Array, got an Array$/);
    expectUntouched(w, () => applyMask(w, new Uint16Array(4) as never), ArgumentError, /got Uint16Array/);
  });

  it('magnitudeMask needs exactly one of sparsity and threshold', () => {
    expect(() => magnitudeMask(w, {} as never)).toThrow(/exactly one of sparsity and threshold/);
    expect(() => magnitudeMask(w, { sparsity: 0.5, threshold: 0.1 } as never)).toThrow(/exactly one/);
    expect(() => magnitudeMask(w, null as never)).toThrow(ArgumentError);
  });

  it('nmMask options', () => {
    const x = new Float32Array(12);
    expect(() => nmMask(x, { n: 3, m: 2 })).toThrow('nmMask: n must be an integer in [0, m=2], got 3');
    expect(() => nmMask(x, { n: 1, m: 0 })).toThrow(/m must be an integer in \[1, 1024\], got 0/);
    expect(() => nmMask(x, { n: 1.5, m: 4 })).toThrow(/n must be an integer/);
    expect(() => nmMask(x, { n: 2, m: 4, rowLength: 5 })).toThrow(/rowLength must be a positive integer dividing the length 12, got 5/);
  });

  it('freed WasmWeights', () => {
    const buf = allocWeights(4);
    buf.free();
    expect(() => pruneToSparsity(buf, 0.5)).toThrow('pruneToSparsity: these WasmWeights were freed');
    expect(() => buf.array).toThrow(/freed/);
  });

  it('allocWeights length', () => {
    expect(() => allocWeights(-1)).toThrow(/allocWeights: length must be a non-negative integer, got -1/);
    expect(() => allocWeights(2 ** 31)).toThrow(/do not fit in a 4 GiB Wasm memory/);
  });
});
