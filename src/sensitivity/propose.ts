// Layer-wise sensitivity analysis (docs/sensitivity.md): prune one layer at a time at each of a
// few sparsities, measure the user's metric, restore the layer exactly; then propose per-layer
// sparsities that reach an overall target with the least predicted loss (or the most sparsity
// within an allowed loss), from those curves.
//
// Which tensors make up a layer, and how a layer is pruned, is the model-level engine's: the
// selection rule and config of pruneModel (select.ts, config.ts) and runPlan (engine.ts).
// The scan itself is sensitivity_scan.ts, imported on its first call (lazy.ts).
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { prunedCount } from '../kernels/index.js';
import type { StructuredConfig } from '../structured/types.js';
import type { PruneConfig } from '../model/types.js';

const PROPOSE = 'proposeSparsities';

/**
 * How a layer is pruned in the scan: 'magnitude' zeroes its smallest weights in place (the
 * sparsity is the fraction of its weights); 'structured' builds a smaller model with
 * pruneStructured (the sparsity is the fraction of its units removed).
 */
export type SensitivityMethod = 'magnitude' | 'structured';

/** Sparsities scanned when none are given. */
export const DEFAULT_SCAN_SPARSITIES: readonly number[] = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95];

/** The user's metric of a model: a number, higher is better (return -loss for a loss). */
export type EvaluateFn = (model: LayersModel) => number | Promise<number>;

export interface SensitivityProgress {
  /** Trials evaluated so far (the baseline not counted), and in all. */
  done: number;
  total: number;
  layer: string;
  sparsity: number;
  metric: number;
}

/**
 * Which layers to scan and at which sparsities. Without `layers`, the scan covers the layers that
 * pruneModel would prune with the same selection fields (the default rule, include/exclude,
 * includeClasses/excludeClasses, skipFirst/skipLast).
 */
export interface SensitivityScanOptions extends Pick<PruneConfig, 'include' | 'exclude' | 'includeClasses' | 'excludeClasses' | 'skipFirst' | 'skipLast'> {
  /** Sparsities to try per layer, each in (0, 1], no duplicates (scanned in ascending order). */
  sparsities?: number[];
  /** Layer names to scan (in this order); each must hold a tensor the selection prunes. */
  layers?: string[];
  /** Default 'magnitude' (unstructured, each tensor of the layer to the sparsity). */
  method?: SensitivityMethod;
  /**
   * method 'structured' only: passed on to pruneStructured (how units are scored, the rounding,
   * layers never pruned). The magnitude selection fields do not apply to it.
   */
  structured?: Pick<StructuredConfig, 'importance' | 'calibration' | 'roundTo' | 'exclude'>;
  /** Name of the metric, for the chart and tables. Default 'metric'. */
  metric?: string;
  /** Called after each trial. */
  onProgress?: (progress: SensitivityProgress) => void;
}

export interface SensitivityLayer {
  name: string;
  /** Keras class ('Dense', 'Conv2D', ...). */
  className: string;
  /** Parameters of the layer's pruned tensors (the weights the sparsities apply to). */
  params: number;
  tensors: { name: string; params: number }[];
  /** The metric with this layer pruned at each of the scan's sparsities, the rest as trained. */
  metrics: number[];
  /**
   * method 'structured': the layers pruned together with this one (its group: producers joined by
   * Add, Concatenate, ...; just [name] mostly), its units, and per sparsity the units removed and
   * the parameters the whole model lost (the next layers' input slices included).
   */
  group?: string[];
  units?: number;
  unitsRemoved?: number[];
  paramsRemoved?: number[];
}

/** The result of sensitivityScan: plain data, round-trips through JSON. */
export interface SensitivityScan {
  method: SensitivityMethod;
  metric: string;
  /** The metric of the model as given. */
  baseline: number;
  /** Scanned sparsities, ascending. */
  sparsities: number[];
  layers: SensitivityLayer[];
  /** Calls of evaluate made (1 + layers x sparsities). */
  evaluations: number;
}

// ---------------------------------------------------------------------------------------------
// proposeSparsities

export type ProposeSparsitiesOptions = { targetSparsity: number; maxMetricDrop?: undefined } | { maxMetricDrop: number; targetSparsity?: undefined };

export interface ProposedLayer {
  name: string;
  params: number;
  /**
   * Weights to prune in this layer and that count / params (method 'magnitude'); units to remove
   * and that count / its units (method 'structured').
   */
  pruned: number;
  sparsity: number;
  /** baseline - the interpolated metric at this sparsity (never below 0, never decreasing). */
  predictedDrop: number;
}

/** An override both pruneModel's config and pruneStructured's accept. */
export interface ProposedOverride {
  match: string;
  sparsity: number;
}

/**
 * Per-layer sparsities, ready for pruneModel / pruneArtifacts / PruningCallback (method
 * 'magnitude') or pruneStructured (method 'structured'): `overrides`, or `config` as it is.
 */
export interface SparsityProposal {
  method: SensitivityMethod;
  /** Layer name -> sparsity. */
  sparsities: Record<string, number>;
  /**
   * 'magnitude': one per scanned tensor (its exact name), the sparsity that prunes its share;
   * 'structured': one per scanned layer, the fraction of its units to remove.
   */
  overrides: ProposedOverride[];
  /** `{ sparsity: 0, overrides }`: whatever was not scanned stays as it is. */
  config: { sparsity: number; overrides: ProposedOverride[] };
  /**
   * Pruned parameters / parameters over the scanned layers (>= targetSparsity when given);
   * 'structured': sum of (units removed / units) x the layer's own parameters, over those.
   */
  sparsity: number;
  /** Sum of the layers' predicted drops (drops assumed additive). */
  predictedDrop: number;
  /** baseline - predictedDrop. */
  predictedMetric: number;
  layers: ProposedLayer[];
}

interface Curve {
  /**
   * Counts pruned at 0 and at each scanned sparsity (weights; units for 'structured'), and the
   * drop there (monotone).
   */
  counts: number[];
  /** Parameters one count weighs: 1 (a weight), or the layer's parameters / its units. */
  unit: number;
  drops: number[];
  /** Lower convex hull, as indices into counts/drops, starting at 0. */
  hull: number[];
}

/**
 * Per-layer sparsities from a scan. With `targetSparsity`, exactly the fewest weights that make
 * pruned / params >= targetSparsity over the scanned layers, spread for the least total predicted
 * drop; with `maxMetricDrop`, the most weights whose total predicted drop stays <= maxMetricDrop.
 *
 * Model: each layer's drop is interpolated linearly in the number of pruned weights between its
 * scanned points, from (0, 0); a drop never decreases with more sparsity (noise that says otherwise
 * is flattened) and never goes below 0; a layer is never proposed past its largest scanned
 * sparsity; the layers' drops add up. The allocation is the greedy (Lagrangian) one over each
 * curve's lower convex hull: the cheapest drop per pruned weight first, so every layer ends on a
 * scanned point except the one that takes the remainder.
 */
export function proposeSparsities(scan: SensitivityScan, options: ProposeSparsitiesOptions): SparsityProposal {
  checkScan(scan);
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${PROPOSE}: options must be { targetSparsity } or { maxMetricDrop }`);
  for (const key of Object.keys(options)) {
    if (key !== 'targetSparsity' && key !== 'maxMetricDrop') throw new ArgumentError(`${PROPOSE}: unknown option '${key}' (known: targetSparsity, maxMetricDrop)`);
  }
  const { targetSparsity: target, maxMetricDrop: maxDrop } = options;
  if ((target === undefined) === (maxDrop === undefined)) throw new ArgumentError(`${PROPOSE}: give exactly one of targetSparsity and maxMetricDrop`);
  if (target !== undefined && (typeof target !== 'number' || !(target >= 0 && target <= 1))) throw new ArgumentError(`${PROPOSE}: targetSparsity must be a number in [0, 1], got ${String(target)}`);
  if (maxDrop !== undefined && (typeof maxDrop !== 'number' || !(maxDrop >= 0) || maxDrop === Infinity)) throw new ArgumentError(`${PROPOSE}: maxMetricDrop must be a finite number >= 0, got ${String(maxDrop)}`);

  const curves = scan.layers.map((l) => curveOf(scan, l));
  const params = scan.layers.reduce((a, l) => a + l.params, 0);
  const pruned = curves.map(() => 0);
  // Hull segments of every layer, cheapest drop per weight first (a layer's own segments are in
  // order already: its hull is convex).
  const segments = curves.flatMap((c, l) =>
    c.hull.slice(1).map((b, k) => {
      const a = c.hull[k];
      const weights = (c.counts[b] - c.counts[a]) * c.unit;
      return { l, a, b, weights, slope: (c.drops[b] - c.drops[a]) / weights, order: k };
    }),
  );
  segments.sort((x, y) => x.slope - y.slope || x.l - y.l || x.order - y.order);

  if (target !== undefined) {
    // Magnitude: an exact count of weights. Structured: parameters in whole units, so the last
    // layer may overshoot by less than one of its units.
    const structured = scan.method === 'structured';
    let need = structured ? target * params : minimumCount(target, params);
    const reachable = curves.reduce((a, c) => a + c.counts[c.counts.length - 1] * c.unit, 0);
    if (need > reachable * (1 + 1e-12)) {
      const what = structured ? 'parameters (in removed units)' : 'weights';
      throw new ArgumentError(
        `${PROPOSE}: targetSparsity ${target} needs ${Math.round(need)} of ${params} ${what} pruned, but the scan reaches at most ${Math.round(reachable)} (${(reachable / params).toFixed(4)}) with every layer at its largest scanned sparsity; scan higher sparsities`,
      );
    }
    for (const s of segments) {
      if (need <= (structured ? 1e-9 * params : 0)) break;
      const c = curves[s.l];
      const take = Math.min(c.counts[s.b] - c.counts[s.a], structured ? Math.ceil(need / c.unit - 1e-9) : need);
      pruned[s.l] = c.counts[s.a] + take;
      need -= take * c.unit;
    }
  } else {
    // Totals are always summed the same way (layer order), so the check here is the reported one.
    const totalDrop = () => curves.reduce((a, c, l) => a + dropAt(c, pruned[l]), 0);
    for (const s of segments) {
      const c = curves[s.l];
      const from = pruned[s.l];
      pruned[s.l] = c.counts[s.b];
      if (totalDrop() <= (maxDrop as number)) continue;
      // The remainder on this segment: the interpolated curve lies on or above the hull between
      // its ends, so walk the curve itself for the largest count within the budget.
      pruned[s.l] = from;
      const rest = (maxDrop as number) - totalDrop();
      pruned[s.l] = largestWithin(c, from, c.counts[s.b], dropAt(c, from) + rest);
      while (pruned[s.l] > from && totalDrop() > (maxDrop as number)) pruned[s.l]--;
      break;
    }
  }

  const whole = (l: SensitivityLayer) => (scan.method === 'structured' ? (l.units as number) : l.params);
  const layers: ProposedLayer[] = scan.layers.map((l, i) => ({
    name: l.name,
    params: l.params,
    pruned: pruned[i],
    sparsity: whole(l) === 0 ? 0 : pruned[i] / whole(l),
    predictedDrop: dropAt(curves[i], pruned[i]),
  }));
  const overrides: ProposedOverride[] = [];
  scan.layers.forEach((l, i) => {
    if (scan.method === 'structured') overrides.push({ match: exactPattern(l.name), sparsity: layers[i].sparsity });
    else for (const t of splitCount(pruned[i], l.tensors)) overrides.push({ match: exactPattern(t.name), sparsity: t.params === 0 ? 0 : t.pruned / t.params });
  });
  const total = scan.method === 'structured' ? layers.reduce((a, l) => a + l.sparsity * l.params, 0) : pruned.reduce((a, b) => a + b, 0);
  const predictedDrop = layers.reduce((a, l) => a + l.predictedDrop, 0);
  return {
    method: scan.method,
    sparsities: Object.fromEntries(layers.map((l) => [l.name, l.sparsity])),
    overrides,
    config: { sparsity: 0, overrides },
    sparsity: params === 0 ? 0 : total / params,
    predictedDrop,
    predictedMetric: scan.baseline - predictedDrop,
    layers,
  };
}

/** The fewest of n weights whose share is >= target (as the division computes it). */
function minimumCount(target: number, n: number): number {
  let k = Math.min(n, Math.ceil(target * n));
  while (k > 0 && (k - 1) / n >= target) k--;
  while (k < n && k / n < target) k++;
  return k;
}

function curveOf(scan: SensitivityScan, l: SensitivityLayer): Curve {
  const counts = [0];
  const drops = [0];
  const structured = scan.method === 'structured';
  scan.sparsities.forEach((s, i) => {
    // What pruning the layer to s pruned in the scan: each tensor's own rounded count, or the
    // units pruneStructured removed.
    counts.push(structured ? (l.unitsRemoved as number[])[i] : l.tensors.reduce((a, t) => a + prunedCount(s, t.params), 0));
    drops.push(Math.max(drops[drops.length - 1], scan.baseline - l.metrics[i]));
  });
  // Sparsities that prune the same count (tiny layers) are the same pruning: keep the first point.
  const cs: number[] = [];
  const ds: number[] = [];
  counts.forEach((c, i) => {
    if (cs.length > 0 && cs[cs.length - 1] === c) return;
    cs.push(c);
    ds.push(drops[i]);
  });
  // Lower convex hull (monotone chain over increasing counts).
  const hull: number[] = [];
  for (let i = 0; i < cs.length; i++) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b is above the line a -> i: drop it.
      if ((ds[b] - ds[a]) * (cs[i] - cs[a]) >= (ds[i] - ds[a]) * (cs[b] - cs[a])) hull.pop();
      else break;
    }
    hull.push(i);
  }
  return { counts: cs, drops: ds, hull, unit: structured ? l.params / (l.units as number) : 1 };
}

/** The interpolated drop at `count` pruned weights. */
function dropAt(c: Curve, count: number): number {
  for (let i = 1; i < c.counts.length; i++) {
    if (count <= c.counts[i]) {
      const c0 = c.counts[i - 1];
      const t = (count - c0) / (c.counts[i] - c0);
      return c.drops[i - 1] + t * (c.drops[i] - c.drops[i - 1]);
    }
  }
  return c.drops[c.drops.length - 1];
}

/** The largest count in [from, to] whose interpolated drop is <= limit. */
function largestWithin(c: Curve, from: number, to: number, limit: number): number {
  let best = from;
  for (let i = 1; i < c.counts.length; i++) {
    const c0 = c.counts[i - 1];
    const c1 = c.counts[i];
    if (c1 <= from || c0 >= to) continue;
    if (c.drops[i] <= limit) {
      best = Math.min(c1, to);
      continue;
    }
    // Drops rise along this piece past the limit: the last whole weight below it.
    const d0 = c.drops[i - 1];
    let k = Math.max(from, c0 + Math.floor(((limit - d0) / (c.drops[i] - d0)) * (c1 - c0)));
    while (k > from && dropAt(c, k) > limit) k--;
    return Math.max(best, k);
  }
  return best;
}

/** Splits a layer's pruned count over its tensors in proportion to their sizes (largest remainder). */
function splitCount(count: number, tensors: readonly { name: string; params: number }[]): { name: string; params: number; pruned: number }[] {
  const total = tensors.reduce((a, t) => a + t.params, 0);
  if (tensors.length === 1 || total === 0) return tensors.map((t, i) => ({ ...t, pruned: i === 0 ? count : 0 }));
  const exact = tensors.map((t) => (count * t.params) / total);
  const out = tensors.map((t, i) => ({ ...t, pruned: Math.min(t.params, Math.floor(exact[i])) }));
  let left = count - out.reduce((a, t) => a + t.pruned, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = 0; left > 0; r++) {
    const t = out[order[r % order.length][1]];
    if (t.pruned < t.params) {
      t.pruned++;
      left--;
    }
  }
  return out;
}

/** A pattern matching exactly this tensor name: the name itself, or a regular expression. */
function exactPattern(name: string): string {
  if (!/[*?]/.test(name) && !/^\/.+\/[a-z]*$/s.test(name) && name !== '') return name;
  return `/^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

function checkScan(scan: unknown): asserts scan is SensitivityScan {
  const s = scan as SensitivityScan;
  const bad = (what: string) => new ArgumentError(`${PROPOSE}: scan must be a sensitivityScan result; ${what}`);
  if (s === null || typeof s !== 'object') throw bad(`got ${s === null ? 'null' : typeof s}`);
  if (s.method !== 'magnitude' && s.method !== 'structured') throw bad(`unknown method ${JSON.stringify(s.method)}`);
  if (typeof s.baseline !== 'number' || !Number.isFinite(s.baseline)) throw bad('baseline is not a finite number');
  if (!Array.isArray(s.sparsities) || s.sparsities.some((x, i) => typeof x !== 'number' || !(x > 0 && x <= 1) || (i > 0 && x <= s.sparsities[i - 1]))) throw bad('sparsities are not ascending numbers in (0, 1]');
  if (!Array.isArray(s.layers) || s.layers.length === 0) throw bad('it has no layers');
  s.layers.forEach((l, i) => {
    if (l === null || typeof l !== 'object' || typeof l.name !== 'string') throw bad(`layers[${i}] has no name`);
    if (!Array.isArray(l.metrics) || l.metrics.length !== s.sparsities.length || l.metrics.some((m) => typeof m !== 'number' || !Number.isFinite(m))) throw bad(`layer '${l.name}' does not have one finite metric per sparsity`);
    if (!Array.isArray(l.tensors) || l.tensors.length === 0 || l.tensors.some((t) => typeof t?.name !== 'string' || !Number.isInteger(t.params) || t.params < 0)) throw bad(`layer '${l.name}' has no tensors with integer params`);
    if (l.params !== l.tensors.reduce((a, t) => a + t.params, 0)) throw bad(`layer '${l.name}' params differ from its tensors' sum`);
    if (s.method === 'structured') {
      const u = l.units;
      if (!Number.isInteger(u) || (u as number) < 1) throw bad(`layer '${l.name}' has no units`);
      if (!Array.isArray(l.unitsRemoved) || l.unitsRemoved.length !== s.sparsities.length || l.unitsRemoved.some((k, j) => !Number.isInteger(k) || k < 0 || k > (u as number) || (j > 0 && k < (l.unitsRemoved as number[])[j - 1]))) {
        throw bad(`layer '${l.name}' does not have one count of removed units per sparsity`);
      }
    }
  });
}
