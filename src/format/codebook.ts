// Shared values (weight sharing, Deep Compression's k-means): a tensor's nonzero values replaced by
// the nearest of at most k centroids. Zeros are never clustered: a pruned weight stays exactly 0,
// so a mask survives clustering. Used by the container's codebook coding and by training's
// clustering phase; plain typed arrays, no tfjs.
import { ArgumentError, NaNWeightsError } from '../errors.js';

/** Centroids of a codebook, sorted ascending, none of them 0, at most `k` of them. */
export type Centroids = Float32Array;

export interface KMeansOptions {
  /** Lloyd iterations at most (default 30); stops early when no boundary moves. */
  iterations?: number;
  /** Name of the tensor, for error messages. */
  name?: string;
}

/**
 * One-dimensional k-means over the nonzero values of `values`: centroids initialised linearly
 * between the smallest and the largest value (Han et al. found linear initialisation best for
 * weights: it keeps the rare large ones), then Lloyd's iterations on the sorted values, where each
 * cluster is a contiguous run and its mean comes from prefix sums (O(k log n) per iteration after
 * one sort). When the tensor has at most `k` distinct nonzero values they are returned exactly, so
 * clustering an already-clustered tensor changes nothing (lossless).
 */
export function kmeans1d(values: Float32Array, k: number, options: KMeansOptions = {}): Centroids {
  const name = options.name ?? 'tensor';
  if (!Number.isInteger(k) || k < 1 || k > 65536) {
    throw new ArgumentError(`kmeans1d: k must be an integer in [1, 65536] (got ${k}) for ${name}`);
  }
  const sorted = sortedNonzeros(values, name);
  if (sorted.length === 0) return new Float32Array(0);
  const distinct = distinctValues(sorted, k);
  if (distinct) return distinct;
  const prefix = prefixSums(sorted);
  let centroids: ArrayLike<number> = linearInit(sorted[0], sorted[sorted.length - 1], k);
  let cuts = clusterCuts(sorted, centroids);
  const iterations = options.iterations ?? 30;
  for (let it = 0; it < iterations; it++) {
    centroids = clusterMeans(cuts, prefix);
    const next = clusterCuts(sorted, centroids);
    const moved = next.length !== cuts.length || next.some((cut, i) => cut !== cuts[i]);
    cuts = next;
    if (!moved) break;
  }
  return clusterMeans(cuts, prefix);
}

/** Index of the centroid nearest to each value (ties go to the lower one); zeros get `zeroCode`. */
export function assignCodes(values: Float32Array, centroids: Centroids, zeroCode = 0): Uint16Array {
  const codes = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    codes[i] = v === 0 ? zeroCode : nearest(centroids, v);
  }
  return codes;
}

/** A copy of `values` with every nonzero value replaced by its nearest centroid; zeros stay 0. */
export function snapToCentroids(values: Float32Array, centroids: Centroids): Float32Array {
  const out = new Float32Array(values.length);
  if (centroids.length === 0) return out;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === 0 ? 0 : centroids[nearest(centroids, v)];
  }
  return out;
}

/** Binary search over the midpoints of sorted centroids. */
export function nearest(centroids: Centroids, v: number): number {
  let lo = 0;
  let hi = centroids.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v > (centroids[mid] + centroids[mid + 1]) / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortedNonzeros(values: Float32Array, name: string): Float32Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      throw new NaNWeightsError(`kmeans1d: ${name} holds a non-finite value (${v}) at index ${i}`, 1, i);
    }
    if (v !== 0) count++;
  }
  const out = new Float32Array(count);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) out[j++] = values[i];
  return out.sort();
}

function distinctValues(sorted: Float32Array, k: number): Float32Array | null {
  const out: number[] = [sorted[0]];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      if (out.length === k) return null;
      out.push(sorted[i]);
    }
  }
  return Float32Array.from(out);
}

function prefixSums(sorted: Float32Array): Float64Array {
  const prefix = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) prefix[i + 1] = prefix[i] + sorted[i];
  return prefix;
}

function linearInit(min: number, max: number, k: number): Float64Array {
  const c = new Float64Array(k);
  for (let j = 0; j < k; j++) c[j] = k === 1 ? (min + max) / 2 : min + ((max - min) * j) / (k - 1);
  return c;
}

/** cuts[j] is the first sorted index of cluster j + 1 (cluster j is [cuts[j-1], cuts[j])). */
function clusterCuts(sorted: Float32Array, centroids: ArrayLike<number>): Int32Array {
  const cuts = new Int32Array(centroids.length);
  for (let j = 0; j < centroids.length - 1; j++) {
    cuts[j] = upperBound(sorted, (centroids[j] + centroids[j + 1]) / 2);
  }
  cuts[centroids.length - 1] = sorted.length;
  return cuts;
}

function upperBound(sorted: Float32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Means of the nonempty clusters, as float32, without zeros or repeats (float32 rounding). */
function clusterMeans(cuts: Int32Array, prefix: Float64Array): Float32Array {
  const out: number[] = [];
  let start = 0;
  for (let j = 0; j < cuts.length; j++) {
    const end = cuts[j];
    if (end > start) {
      const mean = Math.fround((prefix[end] - prefix[start]) / (end - start));
      if (mean !== 0 && mean !== out[out.length - 1]) out.push(mean);
    }
    start = end;
  }
  return Float32Array.from(out);
}
