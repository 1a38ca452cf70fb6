// The zero-preserving codecs against stock tfjs' decoders: float16 both ways over all 65536
// halves, and affine uint8/uint16 parameters whose zero code decodes to exactly 0.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affineParams, decodeFloat16, encodeFloat16, gridZero, quantizeAffine, zeroMin } from '../../src/format/quantize.js';
import { firstDiff } from './support.js';

const stock = (bytes: ArrayBuffer, n: number, quantization: tf.io.WeightsManifestEntry['quantization']) => {
  const t = tf.io.decodeWeights(bytes, [{ name: 'x', shape: [n], dtype: 'float32', quantization }]).x;
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
};

describe('float16', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);

  it('decodes all 65536 halves as tfjs does', () => {
    const mine = new Float32Array(65536);
    decodeFloat16(all, mine);
    expect(firstDiff(mine, stock(all.buffer, 65536, { dtype: 'float16' }))).toBe(-1);
  });

  it('encodes every half back to itself (NaN to a NaN), zeros counted', () => {
    const f = new Float32Array(65536);
    decodeFloat16(all, f);
    const back = new Uint16Array(65536);
    const zeros = encodeFloat16(f, back);
    expect(zeros).toBe(2);
    let bad = 0;
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (nan ? (back[i] & 0x7c00) !== 0x7c00 || (back[i] & 0x3ff) === 0 : back[i] !== i) bad++;
    }
    expect(bad).toBe(0);
  });

  it('rounds to nearest even and saturates finite values past 65504', () => {
    const f = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, 1e9, -1e9, Infinity, 2 ** -25, 2 ** -25 * 1.5, 2 ** -24 * 1.5]);
    const h = new Uint16Array(f.length);
    encodeFloat16(f, h);
    const d = new Float32Array(f.length);
    decodeFloat16(h, d);
    expect(Array.from(d)).toEqual([1, 1 + 2 ** -9, 65504, 65504, 65504, -65504, Infinity, 0, 2 ** -24, 2 ** -23]);
  });
});

describe('affine', () => {
  it('the zero code decodes to exactly +0 in stock tfjs, for any range (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.constantFrom(255, 65535),
        (a, b, levels) => {
          const p = affineParams(Math.min(a, b), Math.max(a, b), levels);
          expect(Number.isInteger(p.zero) && p.zero >= 0 && p.zero <= levels).toBe(true);
          expect(Object.is(p.zero * p.scale + p.min, 0)).toBe(true);
          // Through JSON and stock decoding, as a saved model would go.
          const q = JSON.parse(JSON.stringify({ dtype: levels === 255 ? 'uint8' : 'uint16', scale: p.scale, min: p.min }));
          const bytes = levels === 255 ? Uint8Array.from([p.zero]) : new Uint8Array(Uint16Array.from([p.zero]).buffer);
          expect(Object.is(stock(bytes.buffer as ArrayBuffer, 1, q)[0], 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('quantizes within half a step, zeros to the zero code', () => {
    const v = Float32Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 0 : Math.sin(i) * 0.7 + 0.1));
    const p = affineParams(Math.min(...v), Math.max(...v), 255);
    const q = new Uint8Array(v.length);
    const zeros = quantizeAffine(v, p, 255, q);
    const d = stock(q.buffer, v.length, { dtype: 'uint8', scale: p.scale, min: p.min });
    expect(zeros).toBe(Array.from(d).filter((x) => x === 0).length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === 0) expect(d[i]).toBe(0);
      expect(Math.abs(d[i] - v[i])).toBeLessThanOrEqual(p.scale / 2 + 1e-6);
    }
  });

  it('keeps a grid that holds 0 (to a thousandth of a step), not one that misses it', () => {
    expect(gridZero(0.01, -1.28, 255)).toBe(128);
    expect(gridZero(0.008194216092427571, -115 * 0.008194216092427571 * (1 + 1e-9), 255)).toBe(115);
    expect(gridZero(0.01, -1.285, 255)).toBeNull();
    expect(gridZero(0.01, 0.5, 255)).toBeNull(); // all positive: 0 is off the grid
    expect(gridZero(0, 0, 255)).toBeNull();
    expect(Object.is(zeroMin(0, 0.3), 0)).toBe(true); // never -0 in JSON
  });
});
