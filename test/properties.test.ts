// Property-based checks (fast-check) of the kernels against the reference and against each other,
// on arbitrary float32 arrays (NaN excluded: it is an error, tested in errors.test.ts).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyMask,
  countZeros,
  init,
  magnitudeMask,
  magnitudeThreshold,
  nmMask,
  pruneByThreshold,
  pruneToSparsity,
  prunedCount,
} from '../src/index.js';
import { bits, refNM, refPruneToSparsity, roundHalfEvenRef } from './support/reference.js';

const weights = fc.float32Array({ noNaN: true, maxLength: 300 });
// Few distinct values: many ties.
const tiedWeights = fc
  .array(fc.constantFrom(0, -0, 0.5, -0.5, 1, -1, 1e-45, Infinity, -Infinity), { maxLength: 300 })
  .map((xs) => Float32Array.from(xs));
const sparsity = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 1));

describe.each(['simd', 'scalar', 'js'] as const)('%s build', (build) => {
  beforeAll(async () => {
    await init(build === 'js' ? { backend: 'js', chunkLength: 1024 } : { forceScalar: build === 'scalar', chunkLength: 1024 });
  });

  it('pruneToSparsity matches the sort-based reference', () => {
    fc.assert(
      fc.property(fc.oneof(weights, tiedWeights), sparsity, (w, s) => {
        const r = refPruneToSparsity(w, s);
        const x = w.slice();
        const report = pruneToSparsity(x, s);
        expect(bits(x)).toEqual(bits(r.out));
        expect(report.threshold).toBe(r.threshold);
        expect(report.kept).toBe(r.kept);
      }),
      { numRuns: 300 },
    );
  });

  it('prunes exactly round-half-to-even(s*n) unless more were already zero', () => {
    fc.assert(
      fc.property(fc.oneof(weights, tiedWeights), sparsity, (w, s) => {
        const zerosBefore = countZeros(w);
        const x = w.slice();
        const { pruned } = pruneToSparsity(x, s);
        expect(pruned).toBe(Math.max(prunedCount(s, w.length), zerosBefore));
        expect(countZeros(x)).toBe(pruned);
      }),
      { numRuns: 300 },
    );
  });

  it('the mask, the threshold and the in-place prune agree', () => {
    fc.assert(
      fc.property(fc.oneof(weights, tiedWeights), sparsity, (w, s) => {
        const mask = magnitudeMask(w, { sparsity: s });
        const viaMask = w.slice();
        applyMask(viaMask, mask);
        const direct = w.slice();
        pruneToSparsity(direct, s);
        expect(bits(viaMask)).toEqual(bits(direct));
        // Everything strictly below the threshold is pruned, everything above it kept.
        const t = magnitudeThreshold(w, s);
        for (let i = 0; i < w.length; i++) {
          if (Math.abs(w[i]) < t) expect(mask[i]).toBe(0);
          if (Math.abs(w[i]) > t) expect(mask[i]).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('pruneByThreshold keeps exactly |w| > t, for thresholds given as float64', () => {
    fc.assert(
      fc.property(weights, fc.double({ min: 0, max: 1e6, noNaN: true }), (w, t) => {
        const x = w.slice();
        const { kept } = pruneByThreshold(x, t);
        for (let i = 0; i < w.length; i++) {
          expect(Object.is(x[i], Math.abs(w[i]) > t ? w[i] : 0)).toBe(true);
        }
        expect(kept).toBe(w.filter((v) => Math.abs(v) > t).length);
      }),
      { numRuns: 300 },
    );
  });

  it('nmMask keeps min(n, group size) per group, matching the reference', () => {
    fc.assert(
      fc.property(fc.oneof(weights, tiedWeights), fc.integer({ min: 1, max: 9 }), fc.nat(9), (w, m, n0) => {
        const n = n0 % (m + 1);
        expect(nmMask(w, { n, m })).toEqual(refNM(w, n, m));
      }),
      { numRuns: 300 },
    );
  });
});

it('round-half-to-even agrees with the reference on halves and near-halves', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(0, 0.5, 0.4999999, 0.5000001), (i, d) => {
      expect(prunedCount(1, i + d)).toBe(roundHalfEvenRef(i + d));
    }),
  );
  expect([0.5, 1.5, 2.5, 3.5].map((x) => prunedCount(1, x))).toEqual([0, 2, 2, 4]);
});
