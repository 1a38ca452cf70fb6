// Weight sharing while training (Deep Compression, Han, Mao & Dally 2016, section 3): each selected
// kernel's nonzero weights are clustered by 1-D k-means into at most 2^bits shared values and
// snapped to them; then, while the model fine-tunes, every weight keeps its cluster (its code) and
// only the shared values (centroids) move. Zeros are never clustered, so a pruned model's masks
// survive exactly: a pruned weight is +0 after every batch. Biases and unselected tensors stay float.
//
// The centroid update. Deep Compression's gradient of a centroid is the sum of its members'
// gradients, applied by SGD. Here the optimizer (any tfjs optimizer: Adam, SGD, ...) steps every
// weight as usual, and after each batch each centroid is set to the mean of its members' new values,
// then every member is snapped back to it. With plain SGD that is exactly Deep Compression's update
// with the centroid's learning rate divided by its cluster size (mean of the members' gradients,
// not their sum); with Adam it averages the members' adaptive steps. Why the mean and not the sum:
// clusters hold up to thousands of weights, and an adaptive optimizer moves each of them by about
// the learning rate whatever the gradient's scale, so the summed step would move a centroid by
// thousands of learning rates per batch. The mean is stable at the learning rate the model was
// fine-tuned with, and needs no per-centroid optimizer state.
import { tensor, tidy, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError, NaNWeightsError } from '../errors.js';
import { kmeans1d, nearest } from '../format/codebook.js';
import { decide, normalizeConfig } from '../model/config.js';
import { classify, layerIndexOf } from '../model/select.js';
import type { PruneConfig } from '../model/types.js';

/** Which tensors to cluster and into how many shared values. */
export interface ClusteringOptions extends Pick<PruneConfig, 'include' | 'exclude' | 'includeClasses' | 'excludeClasses' | 'skipFirst' | 'skipLast'> {
  /** Codebook size: at most 2^bits shared values per tensor, bits an integer in [1, 16]. */
  bits: number;
  /** k-means' Lloyd iterations at most (default 30). */
  iterations?: number;
  /**
   * Names of the tensors to cluster (e.g. 'fc1/kernel'). Default: the tensors the pruning
   * selection rule picks (kernels of Dense, Conv*, ...; never biases), with include/exclude/
   * classes/skipFirst/skipLast as in pruneModel. Not combinable with those fields.
   */
  tensors?: string[];
}

/** What clustering did to one tensor when the phase began. */
export interface ClusterTensorReport {
  name: string;
  /** Weights of the tensor / nonzeros among them (the clustered ones). */
  size: number;
  nonzeros: number;
  /** Shared values found (at most 2^bits; fewer when the tensor holds fewer distinct nonzeros). */
  centroids: number;
  /** Root-mean-square change of the nonzero weights by snapping. */
  rmsError: number;
}

export interface ClusteringReport {
  bits: number;
  tensors: ClusterTensorReport[];
}

interface VariableLike {
  readonly originalName: string;
  readonly shape: number[];
  read(): Tensor;
  write(t: Tensor): unknown;
}

interface Clustered {
  variable: VariableLike;
  size: number;
  /** Positions of the nonzero (clustered) weights, and the cluster of each. */
  index: Int32Array;
  code: Uint16Array;
  /** Members per cluster (fixed: memberships never change). */
  count: Float64Array;
  centroids: Float32Array;
}

const FNAME = 'Clusterer';
const OPTION_KEYS = new Set(['bits', 'iterations', 'tensors', 'include', 'exclude', 'includeClasses', 'excludeClasses', 'skipFirst', 'skipLast']);

/** Validates clustering options without a model (ClusteringCallback checks them at construction). */
export function checkClusteringOptions(fname: string, options: unknown): ClusteringOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${fname}: options must be an object such as { bits: 5 }, got ${options === null ? 'null' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) throw new ArgumentError(`${fname}: unknown option '${key}' (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  if (typeof o.bits !== 'number' || !Number.isInteger(o.bits) || o.bits < 1 || o.bits > 16) {
    throw new ArgumentError(`${fname}: bits must be an integer in [1, 16] (at most 2^bits shared values per tensor), got ${String(o.bits)}`);
  }
  if (o.iterations !== undefined && (typeof o.iterations !== 'number' || !Number.isInteger(o.iterations) || o.iterations < 0)) {
    throw new ArgumentError(`${fname}: iterations must be an integer >= 0, got ${String(o.iterations)}`);
  }
  if (o.tensors !== undefined) {
    if (!Array.isArray(o.tensors) || o.tensors.length === 0 || o.tensors.some((t) => typeof t !== 'string')) {
      throw new ArgumentError(`${fname}: tensors must be a non-empty array of tensor names such as 'fc1/kernel'`);
    }
    const selection = ['include', 'exclude', 'includeClasses', 'excludeClasses', 'skipFirst', 'skipLast'].filter((k) => o[k] !== undefined);
    if (selection.length > 0) throw new ArgumentError(`${fname}: tensors names the tensors itself; do not combine it with ${selection.join(', ')}`);
  }
  return o as unknown as ClusteringOptions;
}

/**
 * Weight sharing for a live tf.LayersModel. In a custom training loop:
 *
 *     const clusterer = new Clusterer(model, { bits: 5 });
 *     await clusterer.start();          // k-means per tensor, weights snapped to the centroids
 *     for (const batch of batches) {
 *       optimizer.minimize(() => loss(model, batch));
 *       clusterer.apply();              // centroids = members' means; members snapped; zeros +0
 *     }
 *     clusterer.strip();
 *
 * With model.fit, use ClusteringCallback, which does exactly this.
 */
export class Clusterer {
  readonly model: LayersModel;
  readonly bits: number;
  private readonly iterations: number | undefined;
  private readonly selected: VariableLike[];
  private clustered: Clustered[] = [];
  private started = false;
  private stripped = false;

  constructor(model: LayersModel, options: ClusteringOptions) {
    if (model === null || typeof model !== 'object' || !Array.isArray((model as { weights?: unknown }).weights) || !Array.isArray((model as { layers?: unknown }).layers)) {
      throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
    }
    const o = checkClusteringOptions(FNAME, options);
    this.model = model;
    this.bits = o.bits;
    this.iterations = o.iterations;
    this.selected = select(model, o);
  }

  /** Whether start() has run. */
  get isStarted(): boolean {
    return this.started;
  }

  /** Names of the tensors this clusterer shares values in. */
  get tensors(): string[] {
    return this.selected.map((v) => v.originalName);
  }

  /**
   * The phase begins: k-means over each selected tensor's nonzeros (linear initialisation), every
   * nonzero weight snapped to its nearest centroid, memberships fixed from here on.
   */
  async start(): Promise<ClusteringReport> {
    this.checkLive('start');
    if (this.started) throw new ArgumentError(`${FNAME}.start: already started; call apply() after each optimizer update`);
    const k = 2 ** this.bits;
    const values = (await Promise.all(this.selected.map((v) => v.read().data()))) as Float32Array[];
    // All k-means first (a NaN weight throws before anything is written), then the writes.
    const clustered = this.selected.map((variable, t) => {
      const v = values[t];
      const centroids = kmeans1d(v, k, { name: variable.originalName, iterations: this.iterations });
      return members(variable, v, centroids);
    });
    const reports = clustered.map((c, t) => ({ name: c.variable.originalName, size: c.size, nonzeros: c.index.length, centroids: c.centroids.length, rmsError: rmsChange(values[t], c) }));
    this.clustered = clustered;
    this.started = true;
    this.write();
    return { bits: this.bits, tensors: reports };
  }

  /**
   * After an optimizer update: each centroid becomes the mean of its members' new values, and every
   * member is set to it; weights that were zero at start() are +0 again.
   */
  apply(): void {
    this.checkLive('apply');
    if (!this.started) throw new ArgumentError(`${FNAME}.apply: call start() first (it clusters the weights)`);
    for (const c of this.clustered) updateCentroids(c, c.variable.read().dataSync() as Float32Array);
    this.write();
  }

  /** A copy of each tensor's shared values (sorted at start(); they move while fine-tuning). */
  centroids(): Map<string, Float32Array> {
    return new Map(this.clustered.map((c) => [c.variable.originalName, c.centroids.slice()]));
  }

  /** Frees the codebooks; the model keeps its shared values and is left a plain model. */
  strip(): void {
    this.checkLive('strip');
    this.clustered = [];
    this.stripped = true;
  }

  private write(): void {
    tidy(() => {
      for (const c of this.clustered) c.variable.write(tensor(snapped(c), c.variable.shape, 'float32'));
    });
  }

  private checkLive(what: string): void {
    if (this.stripped) throw new ArgumentError(`${FNAME}.${what}: this clusterer was stripped; create a new one to cluster again`);
  }
}

function select(model: LayersModel, o: ClusteringOptions): VariableLike[] {
  const vars = model.weights as unknown as (VariableLike & { dtype: string })[];
  if (o.tensors !== undefined) {
    return o.tensors.map((name) => {
      const v = vars.find((w) => w.originalName === name);
      if (v === undefined) throw new ArgumentError(`${FNAME}: tensors names '${name}', which the model does not hold (it holds ${vars.map((w) => w.originalName).join(', ')})`);
      if (v.dtype !== 'float32') throw new ArgumentError(`${FNAME}: tensor '${name}' is ${v.dtype}; only float32 tensors can share values`);
      return v;
    });
  }
  const tensors = vars.map((v) => ({ name: v.originalName, shape: [...v.shape], dtype: v.dtype, size: v.shape.reduce((a, b) => a * b, 1) }));
  const { bits: _b, iterations: _i, tensors: _t, ...selection } = o;
  const cfg = normalizeConfig(FNAME, { ...selection, sparsity: 0 }, false);
  const decisions = decide(FNAME, tensors, classify(tensors, null, layerIndexOf(model)), cfg);
  const chosen = vars.filter((_, i) => decisions[i].prune);
  if (chosen.length === 0) throw new ArgumentError(`${FNAME}: no tensor selected for clustering (the model has no Dense/Conv kernels; name them with tensors or include)`);
  return chosen;
}

function members(variable: VariableLike, v: Float32Array, centroids: Float32Array): Clustered {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  const index = new Int32Array(n);
  const code = new Uint16Array(n);
  const count = new Float64Array(centroids.length);
  for (let i = 0, j = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    const c = nearest(centroids, v[i]);
    index[j] = i;
    code[j++] = c;
    count[c]++;
  }
  // A centroid no value is nearest to (possible after float32 rounding) stays unused and fixed.
  return { variable, size: v.length, index, code, count, centroids: centroids.slice() };
}

function updateCentroids(c: Clustered, v: Float32Array): void {
  const sum = new Float64Array(c.centroids.length);
  const { index, code } = c;
  for (let j = 0; j < index.length; j++) sum[code[j]] += v[index[j]];
  for (let k = 0; k < sum.length; k++) {
    if (c.count[k] === 0) continue;
    const mean = Math.fround(sum[k] / c.count[k]);
    if (!Number.isFinite(mean)) {
      const at = index[code.indexOf(k)];
      throw new NaNWeightsError(`${FNAME}.apply: ${c.variable.originalName} holds a non-finite weight in cluster ${k} (first member at index ${at}); the model diverged`, 1, at);
    }
    // A mean of exactly 0 would turn the members into pruned weights: the centroid stays put.
    if (mean !== 0) c.centroids[k] = mean;
  }
}

function snapped(c: Clustered): Float32Array {
  const out = new Float32Array(c.size);
  const { index, code, centroids } = c;
  for (let j = 0; j < index.length; j++) out[index[j]] = centroids[code[j]];
  return out;
}

function rmsChange(v: Float32Array, c: Clustered): number {
  if (c.index.length === 0) return 0;
  let s = 0;
  for (let j = 0; j < c.index.length; j++) {
    const d = v[c.index[j]] - c.centroids[c.code[j]];
    s += d * d;
  }
  return Math.sqrt(s / c.index.length);
}
