// The compressed weight form the sparse kernels read, and the packing function that makes it.
//
// A dense weight W of shape [k, n] (tfjs Dense kernel: k inputs, n output units, row-major, so
// W[i, u] is at i·n + u) is kept per output unit u, as XNNPACK's f32-spmm keeps it per output
// channel: how many weights of the unit are nonzero, which inputs they read, and their values.
// Everything lives in one Int32Array (so it is one int32 tfjs tensor, placed in the wasm
// backend's memory once and read there by the kernels), in three sections of 32-bit words:
//
//   words [0, n)                counts   u32   nonzeros of unit 0, 1, …, n-1
//   words [n, n + idxWords)     indices  u16   input index of each nonzero pair (order below);
//                                              u32 when k > 65536 ("wide"); u16 runs padded
//                                              with one 0 to a word
//   words [.., + nnz)           values   f32   the weights, pair by pair as the indices
//
//   idxWords = wide ? nnz : ceil(nnz / 2)
//
// Pair order. Units go in blocks of four (units 4b … 4b+3; the last n mod 4 units are single).
// A block whose counts are c0…c3, m = min(c0…c3), starting at pair P (the sum of all earlier
// counts), holds first m steps of four interleaved pairs — pair P + 4s + j is unit j's s-th pair
// (s < m) — then unit 0's remaining c0 - m pairs, unit 1's c1 - m, unit 2's, unit 3's. A single
// unit's pairs are contiguous. Every unit's pairs, read in that order, ascend in input index.
// The interleaved steps let the batch-1 kernel load one step's four values as one v128 and keep
// the four units' sums in the four lanes of one accumulator.
//
//   block of 4 units, m = 2:   i0 i1 i2 i3 | i0 i1 i2 i3 | tail u0 | tail u1 | tail u2 | tail u3
//                              ── step 0 ── ── step 1 ──
//
// Bytes per weight at sparsity s: (1 - s) · 6 (u16 indices) plus 4 per unit, against 4 dense:
// 0.6 + 4/k at 90%.
//
// A weight is dropped when it is +0 or -0; everything else, ±Infinity included, is kept. NaN is
// an error (NaNWeightsError): a NaN weight makes its dense outputs NaN, which no skipped pair
// could reproduce. The order of summation over each unit's pairs (ascending input index) is what
// makes the sparse product equal to the dense one bit for bit (assembly/sparse.ts).
import { ArgumentError, NaNWeightsError } from '../errors.js';

/** A packed sparse weight matrix (see the layout above). Immutable once made. */
export interface SparseMatrix {
  /** Inputs (rows of the dense weight). */
  readonly k: number;
  /** Output units (columns of the dense weight). */
  readonly n: number;
  /** Nonzero weights kept. */
  readonly nnz: number;
  /** Indices are u32 (k > 65536), else u16. */
  readonly wide: boolean;
  /** The three sections, as 32-bit words. */
  readonly data: Int32Array;
}

/** Where each section starts, in bytes from the start of `data`. */
export interface SparseLayout {
  countsByte: number;
  indicesByte: number;
  valuesByte: number;
  words: number;
}

export function layoutOf(n: number, nnz: number, wide: boolean): SparseLayout {
  const idxWords = wide ? nnz : Math.ceil(nnz / 2);
  return { countsByte: 0, indicesByte: 4 * n, valuesByte: 4 * (n + idxWords), words: n + idxWords + nnz };
}

/**
 * Where each unit's pairs are: its s-th pair is at lockBase[u] + 4s for s < lock[u], else at
 * tailBase[u] + s - lock[u] (pair positions, see "Pair order" above).
 */
export interface UnitLayout {
  lockBase: Uint32Array;
  lock: Uint32Array;
  tailBase: Uint32Array;
}

export function unitLayout(counts: ArrayLike<number>, n: number): UnitLayout {
  const lockBase = new Uint32Array(n);
  const lock = new Uint32Array(n);
  const tailBase = new Uint32Array(n);
  let p = 0;
  let u = 0;
  for (; u + 4 <= n; u += 4) {
    const m = Math.min(counts[u], counts[u + 1], counts[u + 2], counts[u + 3]);
    let t = p + 4 * m;
    for (let j = 0; j < 4; j++) {
      lockBase[u + j] = p + j;
      lock[u + j] = m;
      tailBase[u + j] = t;
      t += counts[u + j] - m;
    }
    p = t;
  }
  for (; u < n; u++) {
    tailBase[u] = p;
    p += counts[u];
  }
  return { lockBase, lock, tailBase };
}

/** Position of unit u's s-th pair. */
export function pairAt(l: UnitLayout, u: number, s: number): number {
  return s < l.lock[u] ? l.lockBase[u] + 4 * s : l.tailBase[u] + s - l.lock[u];
}

export function isWide(k: number): boolean {
  return k > 65536;
}

/**
 * Packs a dense [k, n] row-major float32 weight (a tfjs Dense kernel's values) into the sparse
 * form. The input is not modified. Throws an ArgumentError when `weights.length != k · n` or the
 * shape is not made of positive integers, a NaNWeightsError (with the count and the first flat
 * index) when a weight is NaN. `name` names the tensor in messages.
 */
export function packSparse(weights: Float32Array, k: number, n: number, name = 'weights'): SparseMatrix {
  const fname = 'packSparse';
  if (!(weights instanceof Float32Array)) throw new ArgumentError(`${fname}: ${name} must be a Float32Array, got ${Object.prototype.toString.call(weights)}`);
  for (const [what, v] of [['k', k], ['n', n]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`${fname}: ${what} must be a positive integer, got ${v} (${name})`);
  }
  if (weights.length !== k * n) {
    throw new ArgumentError(`${fname}: ${name} has ${weights.length} values, but shape [${k}, ${n}] needs ${k * n}`);
  }
  const counts = new Uint32Array(n);
  let nnz = 0;
  let nan = 0;
  let firstNaN = -1;
  for (let i = 0, o = 0; i < k; i++) {
    for (let u = 0; u < n; u++, o++) {
      const w = weights[o];
      if (w !== 0) {
        if (w !== w) {
          if (nan++ === 0) firstNaN = o;
          continue;
        }
        counts[u]++;
        nnz++;
      }
    }
  }
  if (nan > 0) {
    const at = `[${Math.floor(firstNaN / n)}, ${firstNaN % n}]`;
    throw new NaNWeightsError(`${fname}: ${name} holds ${nan} NaN weight${nan === 1 ? '' : 's'} (first at ${at}); a NaN weight cannot be packed`, nan, firstNaN);
  }
  const wide = isWide(k);
  const lay = layoutOf(n, nnz, wide);
  const data = new Int32Array(lay.words);
  new Uint32Array(data.buffer, 0, n).set(counts);
  // Each unit's next pair; rows visited in ascending i keep each unit's indices sorted.
  const lay2 = unitLayout(counts, n);
  const next = new Uint32Array(n);
  const idx = wide ? new Uint32Array(data.buffer, lay.indicesByte, nnz) : new Uint16Array(data.buffer, lay.indicesByte, nnz);
  const val = new Float32Array(data.buffer, lay.valuesByte, nnz);
  for (let i = 0, o = 0; i < k; i++) {
    for (let u = 0; u < n; u++, o++) {
      const w = weights[o];
      if (w !== 0) {
        const p = pairAt(lay2, u, next[u]++);
        idx[p] = i;
        val[p] = w;
      }
    }
  }
  return { k, n, nnz, wide, data };
}

/** The section views of a packed matrix (no copies). */
export function viewsOf(m: SparseMatrix): { counts: Uint32Array; indices: Uint16Array | Uint32Array; values: Float32Array } {
  const lay = layoutOf(m.n, m.nnz, m.wide);
  const buf = m.data.buffer;
  const base = m.data.byteOffset;
  return {
    counts: new Uint32Array(buf, base + lay.countsByte, m.n),
    indices: m.wide ? new Uint32Array(buf, base + lay.indicesByte, m.nnz) : new Uint16Array(buf, base + lay.indicesByte, m.nnz),
    values: new Float32Array(buf, base + lay.valuesByte, m.nnz),
  };
}

/** The dense [k, n] weight back (zeros as +0): for checks and for turning a sparse layer dense. */
export function unpackSparse(m: SparseMatrix): Float32Array {
  const { counts, indices, values } = viewsOf(m);
  const l = unitLayout(counts, m.n);
  const out = new Float32Array(m.k * m.n);
  for (let u = 0; u < m.n; u++) {
    for (let s = 0; s < counts[u]; s++) {
      const p = pairAt(l, u, s);
      out[indices[p] * m.n + u] = values[p];
    }
  }
  return out;
}

/** Bytes the packed form takes (its Int32Array). */
export function sparseBytes(m: SparseMatrix): number {
  return m.data.byteLength;
}

/**
 * Checks a matrix made elsewhere (deserialized, say) against its own header: section sizes,
 * counts summing to nnz, indices below k and ascending within each unit, no NaN value. Throws an
 * ArgumentError naming the first fault. O(nnz).
 */
export function checkSparse(m: SparseMatrix, fname: string): void {
  const { k, n, nnz, wide, data } = m;
  if (!Number.isSafeInteger(k) || k < 1 || !Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(nnz) || nnz < 0 || nnz > k * n) {
    throw new ArgumentError(`${fname}: bad sparse matrix header k=${k} n=${n} nnz=${nnz}`);
  }
  if (wide !== isWide(k)) throw new ArgumentError(`${fname}: index width ${wide ? 'u32' : 'u16'} does not fit k=${k}`);
  if (!(data instanceof Int32Array) || data.length !== layoutOf(n, nnz, wide).words) {
    throw new ArgumentError(`${fname}: sparse data must be an Int32Array of ${layoutOf(n, nnz, wide).words} words, got ${data?.length}`);
  }
  const { counts, indices, values } = viewsOf(m);
  let total = 0;
  for (let u = 0; u < n; u++) {
    total += counts[u];
    if (total > nnz) throw new ArgumentError(`${fname}: counts exceed nnz=${nnz} at unit ${u}`);
  }
  if (total !== nnz) throw new ArgumentError(`${fname}: counts sum to ${total}, not nnz=${nnz}`);
  const l = unitLayout(counts, n);
  for (let u = 0; u < n; u++) {
    for (let s = 0, last = -1; s < counts[u]; s++) {
      const p = pairAt(l, u, s);
      const i = indices[p];
      if (i >= k || i <= last) throw new ArgumentError(`${fname}: unit ${u}'s input index ${i} is out of range or not ascending (k=${k})`);
      last = i;
      if (values[p] !== values[p]) throw new NaNWeightsError(`${fname}: value of unit ${u} at input ${i} is NaN`, 1, i * n + u);
    }
  }
}
