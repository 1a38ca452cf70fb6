// columnNorms (the structured-pruning importance kernel) against a float32 JS reference, bit for
// bit, for both Wasm builds, with the default window and a tiny one (rows longer than the window
// are then cut into pieces), for weights held in JS, in Wasm memory and as a view of it.
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_CONFIGS, initBuild } from './support/builds.js';
import { allocWeights, ArgumentError, columnNorms, init, NaNWeightsError, type Weights } from '../src/index.js';
import { bits, randomWeights, sameArray } from './support/reference.js';

/** Column by column, in row order, every step rounded to float32 (what the kernel promises). */
function refColumnNorms(w: Float32Array, cols: number, norm: 'l1' | 'l2'): Float32Array {
  const out = new Float32Array(cols);
  const rows = w.length / cols;
  for (let c = 0; c < cols; c++) {
    let acc = 0;
    for (let r = 0; r < rows; r++) {
      const v = w[r * cols + c];
      acc = Math.fround(acc + (norm === 'l1' ? Math.abs(v) : Math.fround(v * v)));
    }
    out[c] = norm === 'l1' ? acc : Math.fround(Math.sqrt(acc));
  }
  return out;
}

const SHAPES: [number, number][] = [
  [1, 1],
  [5, 1],
  [3, 3],
  [7, 4],
  [9, 7],
  [33, 16],
  [2, 1500], // a row longer than the 1024 window
  [784, 30],
  [3, 5003],
];

function matrix(rows: number, cols: number, seed: number): Float32Array {
  const w = randomWeights(rows * cols, seed);
  // Zeros, -0, a denormal, a huge value, and exact ties.
  if (w.length > 8) {
    w[0] = 0;
    w[1] = -0;
    w[2] = 1e-42;
    w[3] = -3e38;
    w[4] = w[5] = -0.5;
  }
  return w;
}

function held<R>(storage: 'js' | 'wasm' | 'view', w: Float32Array, fn: (x: Weights) => R): R {
  if (storage === 'js') return fn(w.slice());
  const buf = allocWeights(w.length);
  try {
    buf.array.set(w);
    return fn(storage === 'wasm' ? buf : buf.array);
  } finally {
    buf.free();
  }
}

describe.each(BUILD_CONFIGS)('columnNorms, $build build, chunkLength $chunkLength', ({ build, chunkLength }) => {
  beforeAll(async () => {
    const info = await initBuild(build, chunkLength);
    expect(info.simd).toBe(build === 'simd');
    expect(info.backend).toBe(build === 'js' ? 'js' : 'wasm');
  });

  it.each(['js', 'wasm', 'view'] as const)('matches the float32 reference bit for bit (weights in %s)', (storage) => {
    SHAPES.forEach(([rows, cols], i) => {
      const w = matrix(rows, cols, i + 1);
      for (const norm of ['l1', 'l2'] as const) {
        const got = held(storage, w, (x) => columnNorms(x, { columns: cols, norm }));
        sameArray(bits(got), bits(refColumnNorms(w, cols, norm)), `${rows}x${cols} ${norm}`);
      }
    });
  });

  it('leaves the weights alone; Infinity gives Infinity; an empty matrix gives zeros', () => {
    const w = Float32Array.from([1, -2, Infinity, 0.5, -0, 3]);
    const copy = w.slice();
    expect(Array.from(columnNorms(w, { columns: 3 }))).toEqual([1.5, 2, Infinity]);
    expect(w).toEqual(copy);
    expect(Array.from(columnNorms(new Float32Array(0), { columns: 4 }))).toEqual([0, 0, 0, 0]);
  });
});

describe('columnNorms errors', () => {
  beforeAll(async () => {
    await init();
  });
  it('rejects NaN, bad columns and bad norms', () => {
    const w = new Float32Array(12);
    expect(() => columnNorms(w, { columns: 5 })).toThrow(/columnNorms: columns must be a positive integer dividing the length 12, got 5/);
    expect(() => columnNorms(w, { columns: 0 })).toThrow(ArgumentError);
    expect(() => columnNorms(w, { columns: 3, norm: 'l3' as never })).toThrow(/norm must be 'l1' or 'l2', got l3/);
    expect(() => columnNorms([1, 2] as never, { columns: 1 })).toThrow(/weights must be a Float32Array/);
    w[7] = NaN;
    expect(() => columnNorms(w, { columns: 3 })).toThrow(NaNWeightsError);
  });
});
