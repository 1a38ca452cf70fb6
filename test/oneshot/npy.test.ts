// parseNpy against files laid out by hand the way numpy.save writes them (format 1.0 and 2.0),
// and the malformed ones it must refuse by name.
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/errors.js';
import { isNpy, parseNpy } from '../../src/data/npy.js';
import { npy } from './support.js';

describe('parseNpy', () => {
  it('reads float32 and float64 arrays, format 1.0 and 2.0', () => {
    const v = [0.5, -1.25, 3, 1e-7, 0, 7, 8, 9, 10, 11, 12, 13];
    for (const major of [1, 2]) {
      const a = parseNpy(npy(v, [3, 2, 2], { major }));
      expect(a.shape).toEqual([3, 2, 2]);
      expect(Array.from(a.values)).toEqual(Array.from(Float32Array.from(v)));
    }
    const b = parseNpy(npy(v, [12], { descr: '<f8' }));
    expect(b.shape).toEqual([12]);
    expect(Array.from(b.values)).toEqual(Array.from(Float32Array.from(v)));
    expect(isNpy(npy(v, [12]))).toBe(true);
    expect(isNpy(new Uint8Array([0, 0, 8, 3]))).toBe(false);
  });

  it('refuses what it cannot read, naming the file and what is wrong', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /x\.npy: not a \.npy file/],
      [npy([1, 2], [2], { fortran: true }), /Fortran-order arrays are not supported/],
      [npy([1, 2], [2], { descr: '<i4' }), /dtype '<i4' is not supported/],
      [npy([1, 2], [2], { descr: '>f4' }), /dtype '>f4' is not supported/],
      [npy([1, 2, 3], [2]), /holds \d+ bytes but its header \(<f4\[2\]\) describes \d+/],
      [npy([1, 2], [2]).subarray(0, 20), /header of \d+ bytes cut short/],
    ];
    for (const [bytes, message] of cases) {
      let err: unknown = null;
      try {
        parseNpy(bytes, 'x.npy');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
