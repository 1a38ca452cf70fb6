// The packed form: round trip, the section layout, u16/u32 indices, what is dropped and kept,
// and the named errors for NaN weights, shape mismatches and malformed packed data.
import { describe, expect, it } from 'vitest';
import { ArgumentError, NaNWeightsError } from '../../src/errors.js';
import { checkSparse, layoutOf, packSparse, sparseBytes, unpackSparse } from '../../src/sparse/index.js';

describe('packSparse', () => {
  it('keeps nonzeros per output unit in ascending input index (a block of 4 units interleaved for its shortest count, then tails), and unpacks to the same weights', () => {
    // k=3, n=4: W[i, u] at i*4+u.
    const w = new Float32Array([0, 1.5, -0, 2, 3, 0, 0, -4, 0, 5, Infinity, 6]);
    const copy = w.slice();
    const m = packSparse(w, 3, 4);
    expect(w).toEqual(copy); // input untouched
    expect(m.nnz).toBe(7);
    expect(m.wide).toBe(false);
    const lay = layoutOf(4, 7, false);
    expect(Array.from(new Uint32Array(m.data.buffer, 0, 4))).toEqual([1, 2, 1, 3]);
    expect(Array.from(new Uint16Array(m.data.buffer, lay.indicesByte, 7))).toEqual([1, 0, 2, 0, 2, 1, 2]); // step 0 of units 0-3, then unit 1's and unit 3's tails
    expect(Array.from(new Float32Array(m.data.buffer, lay.valuesByte, 7))).toEqual([3, 1.5, Infinity, 2, 5, -4, 6]);
    expect(m.data.length).toBe(4 + 4 + 7); // 7 u16 indices padded to 4 words
    const back = unpackSparse(m);
    expect(Array.from(back)).toEqual(Array.from(w).map((v) => (v === 0 ? 0 : v)));
    expect(Object.is(back[2], 0)).toBe(true); // -0 dropped, +0 back
  });

  it('round-trips ragged shapes (n not a multiple of 4, empty units, all zero)', () => {
    let seed = 5;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const [k, n, s] of [[7, 1, 0.5], [13, 6, 0.7], [40, 9, 0.9], [5, 8, 1], [64, 4, 0]] as const) {
      const w = Float32Array.from({ length: k * n }, () => (r() < s ? 0 : r() - 0.5));
      for (let i = 0; i < k; i++) w[i * n] = 0; // unit 0 empty
      const m = packSparse(w, k, n);
      checkSparse(m, 'test');
      expect(unpackSparse(m)).toEqual(w.map((v) => (v === 0 ? 0 : v)));
    }
  });

  it('uses u32 indices beyond 65536 inputs', () => {
    const k = 65537;
    const w = new Float32Array(k * 2);
    w[(k - 1) * 2 + 1] = 7;
    w[5 * 2] = -1;
    const m = packSparse(w, k, 2);
    expect(m.wide).toBe(true);
    expect(Array.from(new Uint32Array(m.data.buffer, layoutOf(2, 2, true).indicesByte, 2))).toEqual([5, 65536]);
    expect(unpackSparse(m)).toEqual(w);
    checkSparse(m, 'test');
  });

  it('takes (1 - s)·6 bytes per weight plus 4 per unit', () => {
    const w = new Float32Array(1000 * 100);
    for (let i = 0; i < w.length; i += 10) w[i] = 1;
    expect(sparseBytes(packSparse(w, 1000, 100))).toBe(100 * 4 + 10000 * 2 + 10000 * 4);
  });

  it('names NaN weights: count and first position', () => {
    const w = new Float32Array([1, 0, NaN, 2, NaN, 3]);
    const err = (() => { try { packSparse(w, 3, 2, 'dense_1/kernel'); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(NaNWeightsError);
    expect((err as NaNWeightsError).count).toBe(2);
    expect((err as NaNWeightsError).firstIndex).toBe(2);
    expect((err as Error).message).toMatch(/dense_1\/kernel holds 2 NaN weights \(first at \[1, 0\]\)/);
  });

  it('names shape mismatches', () => {
    expect(() => packSparse(new Float32Array(6), 4, 2)).toThrow(ArgumentError);
    expect(() => packSparse(new Float32Array(6), 4, 2)).toThrow(/has 6 values, but shape \[4, 2\] needs 8/);
    expect(() => packSparse(new Float32Array(0), 0, 2)).toThrow(/k must be a positive integer/);
    expect(() => packSparse([1, 2] as unknown as Float32Array, 1, 2)).toThrow(/must be a Float32Array/);
  });

  it('checkSparse rejects indices out of order or range, bad counts, NaN values', () => {
    const m = packSparse(new Float32Array([1, 2, 3, 4]), 2, 2);
    const lay = layoutOf(2, 4, false);
    const bad = (edit: (d: Int32Array) => void) => {
      const data = m.data.slice();
      edit(data);
      return () => checkSparse({ ...m, data }, 'test');
    };
    expect(bad((d) => new Uint16Array(d.buffer, lay.indicesByte, 4).set([1, 0], 0))).toThrow(/not ascending/);
    expect(bad((d) => new Uint16Array(d.buffer, lay.indicesByte, 4).set([0, 9], 0))).toThrow(/out of range/);
    const col = packSparse(new Float32Array([1, 2, 3]), 3, 1);
    const short = col.data.slice();
    short[0] = 2;
    expect(() => checkSparse({ ...col, data: short }, 'test')).toThrow(/counts sum to 2, not nnz=3/);
    expect(bad((d) => (d[0] = 9))).toThrow(/counts exceed/);
    expect(bad((d) => (new Float32Array(d.buffer, lay.valuesByte, 4)[1] = NaN))).toThrow(NaNWeightsError);
    expect(() => checkSparse({ ...m, data: m.data.subarray(1) }, 'test')).toThrow(/Int32Array of 8 words/);
    checkSparse(m, 'test');
  });
});
