// The model walk: layers in model order, each one's statistics taken from the calibration batches
// as they reach it in a working copy of the model whose earlier layers are already pruned, with the
// dense model's outputs of the layer as the target; solved (solver.ts); written into the working
// copy before the next layer is read. The caller's model is only read here.
import { tensor, tidy, type Tensor } from '@tensorflow/tfjs-core';
import { model as functionalModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { forEachRows, rowLength, type DepthwiseGeometry, type Geometry } from './patches.js';
import { solveLayer, type NMPattern, type OneShotMethod, type SolveResult } from './solver.js';
import { LayerStats, layerTargets } from './stats.js';

export interface WalkTarget {
  /** Layer name (the same in the model and its working copy). */
  layer: string;
  geometry: Geometry;
  /** Outputs (units, filters). */
  m: number;
  /** Dense weights: the kernel as [rows, m] and the bias (null without one). */
  kernel: Float32Array;
  bias: Float32Array | null;
  /** Weights of the kernel to zero, exactly. */
  prune: number;
  /** N:M instead of a count (prune is then the count it gives); per channel for depthwise. */
  nm: NMPattern | null;
}

export interface WalkResult {
  kernel: Float32Array;
  bias: Float32Array | null;
  /** ‖Y − X̂Ŵ‖ / ‖Y‖ over the layer's outputs. */
  error: number;
  solver: SolveResult['solver'];
  rows: number;
  /** Bytes of the statistics held while the layer was solved (H and R, float64). */
  statsBytes: number;
}

export interface WalkOptions {
  method: OneShotMethod;
  damping?: number;
  steps?: number;
  /** Called after each layer is solved (progress). */
  onLayer?: (index: number, result: WalkResult) => void;
}

/**
 * Where a layer's input is read: a probe model (a LayersModel's inputs to the layer's input), or a
 * function giving that input for one batch (a GraphModel executed up to the node: graph_walk.ts).
 * A function's tensor is disposed by the walk.
 */
export type Probe = LayersModel | ((batch: Tensor[]) => Tensor | Promise<Tensor>);

interface LayerHandle {
  input: unknown;
  weights: { write(t: Tensor): void }[];
}

/**
 * Statistics of one target from the calibration batches: rows from `probe` (the model whose
 * layer input is read), targets from `dense` (the dense model's same input, times the dense
 * weights), or from the probe's own rows when `dense` is null.
 */
export async function collectStats(target: WalkTarget, probe: Probe, dense: Probe | null, batches: Tensor[][]): Promise<LayerStats> {
  const { geometry: g, m, kernel, bias } = target;
  const d = rowLength(g);
  const stats = new LayerStats(d, m, bias !== null);
  await forEachBatchRows(g, probe, dense, batches, (rows, count) => {
    stats.add(rows[0], targetRows(rows[rows.length - 1], count, d, kernel, bias, m), count);
  });
  return stats.finish();
}

/** y = x·W + b for `count` rows (stats.ts: float64 sums, or the Wasm kernels' blocked float32 ones). */
function targetRows(x: Float32Array, count: number, d: number, w: Float32Array, b: Float32Array | null, m: number): Float32Array {
  return layerTargets(x, count, d, w, b, m);
}

/** A probe model: the model's inputs to the named layer's input. */
export function probeOf(model: LayersModel, layer: string): LayersModel {
  const l = model.getLayer(layer) as unknown as LayerHandle;
  return functionalModel({ inputs: model.inputs, outputs: l.input as never });
}

/**
 * Solves every target in order. `work` is a copy of `model` that the walk writes each solved layer
 * into; `model` is only read.
 */
export async function walkLayers(model: LayersModel, work: LayersModel, targets: WalkTarget[], batches: Tensor[][], options: WalkOptions): Promise<WalkResult[]> {
  const results: WalkResult[] = [];
  for (let t = 0; t < targets.length; t++) {
    const target = targets[t];
    // Until a layer is written, the working copy computes what the model does: one probe is enough.
    const probe = probeOf(work, target.layer);
    const dense = t === 0 ? null : probeOf(model, target.layer);
    const result = await solveTarget(target, probe, dense, batches, options);
    writeLayer(work, target.layer, result.kernel, result.bias);
    results.push(result);
    options.onLayer?.(t, result);
  }
  return results;
}

/** Solves one target from its inputs as `probe` gives them (and `dense`'s, the target's, when not null). */
export async function solveTarget(target: WalkTarget, probe: Probe, dense: Probe | null, batches: Tensor[][], options: WalkOptions): Promise<WalkResult> {
  return target.geometry.kind === 'depthwise' ? solveDepthwise(target, probe, dense, batches, options) : solveOne(target, await collectStats(target, probe, dense, batches), options);
}

function solveOne(target: WalkTarget, stats: LayerStats, options: WalkOptions): WalkResult {
  const w = new Float64Array(stats.d * target.m);
  w.set(target.kernel);
  if (target.bias !== null) w.set(target.bias, stats.inputs * target.m);
  const solve = solveLayer(stats, w, { method: options.method, prune: target.prune, damping: options.damping, steps: options.steps, nm: target.nm ?? undefined });
  const kernel = Float32Array.from(solve.w.subarray(0, stats.inputs * target.m));
  for (let q = 0; q < kernel.length; q++) if (solve.keep[q] === 0) kernel[q] = 0;
  const bias = target.bias === null ? null : Float32Array.from(solve.w.subarray(stats.inputs * target.m));
  return { kernel, bias, error: solve.error, solver: solve.solver, rows: stats.rows, statsBytes: (stats.h.length + stats.r.length) * 8 };
}

/**
 * DepthwiseConv2D: every input channel is a layer of its own (kh·kw inputs, `mult` outputs, its own
 * H), solved with its share of the count (cumulative rounding: the total is exact). The kernel is
 * [kh, kw, cin, mult]; channel c's weight (p, k) sits at (p·cin + c)·mult + k, its bias at c·mult + k.
 */
async function solveDepthwise(target: WalkTarget, probe: Probe, dense: Probe | null, batches: Tensor[][], options: WalkOptions): Promise<WalkResult> {
  const g = target.geometry as DepthwiseGeometry;
  const kk = g.kh * g.kw;
  const { cin, mult } = g;
  const d = kk * cin;
  const hasBias = target.bias !== null;
  const weights = Array.from({ length: cin }, (_, c) => {
    const w = new Float32Array(kk * mult);
    for (let p = 0; p < kk; p++) for (let k = 0; k < mult; k++) w[p * mult + k] = target.kernel[(p * cin + c) * mult + k];
    return { w, b: hasBias ? (target.bias as Float32Array).subarray(c * mult, (c + 1) * mult) : null };
  });
  const stats = weights.map(() => new LayerStats(kk, mult, hasBias));
  await forEachBatchRows(g, probe, dense, batches, (rows, count) => {
    const xc = new Float32Array(count * kk);
    const xdc = rows.length > 1 ? new Float32Array(count * kk) : xc;
    for (let c = 0; c < cin; c++) {
      for (let s = 0; s < count; s++) {
        for (let p = 0; p < kk; p++) {
          xc[s * kk + p] = rows[0][s * d + p * cin + c];
          if (xdc !== xc) xdc[s * kk + p] = rows[1][s * d + p * cin + c];
        }
      }
      stats[c].add(xc, targetRows(xdc, count, kk, weights[c].w, weights[c].b, mult), count);
    }
  });
  const kernel = new Float32Array(target.kernel.length);
  const bias = hasBias ? new Float32Array(cin * mult) : null;
  let num = 0;
  let den = 0;
  let blocked = false;
  const n = kk * mult;
  for (let c = 0; c < cin; c++) {
    const st = stats[c].finish();
    const prune = Math.round((target.prune * (c + 1)) / cin) - Math.round((target.prune * c) / cin);
    const w = new Float64Array(st.d * mult);
    w.set(weights[c].w);
    if (weights[c].b !== null) w.set(weights[c].b as Float32Array, n);
    const solve = solveLayer(st, w, { method: options.method, prune, damping: options.damping, steps: options.steps, nm: target.nm ?? undefined });
    for (let p = 0; p < kk; p++) for (let k = 0; k < mult; k++) kernel[(p * cin + c) * mult + k] = solve.keep[p * mult + k] === 0 ? 0 : solve.w[p * mult + k];
    if (bias !== null) for (let k = 0; k < mult; k++) bias[c * mult + k] = solve.w[n + k];
    let e = 0;
    for (let k = 0; k < mult; k++) e += st.tt[k];
    num += solve.error * solve.error * e;
    den += e;
    blocked ||= solve.solver === 'blocked';
  }
  const solver = options.method === 'reconstruct' ? (blocked ? 'blocked' : 'exact') : 'mask';
  return { kernel, bias, error: den > 0 ? Math.sqrt(num / den) : 0, solver, rows: stats[0].rows, statsBytes: cin * (stats[0].h.length + stats[0].r.length) * 8 };
}

/** Writes a Dense/Conv layer's kernel (and bias) values into a live model. */
export function writeLayer(model: LayersModel, layer: string, kernel: Float32Array, bias: Float32Array | null): void {
  const l = model.getLayer(layer) as unknown as { kernel?: LayerVar; depthwiseKernel?: LayerVar; bias: LayerVar | null };
  writeVar((l.kernel ?? l.depthwiseKernel) as LayerVar, kernel);
  if (bias !== null && l.bias) writeVar(l.bias, bias);
}

interface LayerVar {
  shape: number[];
  write(t: Tensor): void;
}

function writeVar(v: LayerVar, values: Float32Array): void {
  const t = tensor(values, v.shape, 'float32');
  v.write(t);
  t.dispose();
}

/**
 * Runs each calibration batch through `probe` (the layer's inputs in the pruned working copy) and,
 * where given, `dense` (the same inputs in the dense model), and hands their rows (Dense rows or
 * convolution patches) to `fn`; the predictions are disposed after each batch.
 */
async function forEachBatchRows(
  g: Parameters<typeof forEachRows>[0],
  probe: Probe,
  dense: Probe | null,
  batches: Tensor[][],
  fn: Parameters<typeof forEachRows>[3],
): Promise<void> {
  for (const batch of batches) {
    const input = batch.length === 1 ? batch[0] : batch;
    const run = async (p: Probe) => (typeof p === 'function' ? p(batch) : tidy(() => p.predict(input) as Tensor));
    const xp = await run(probe);
    const xd = dense === null ? null : await run(dense);
    try {
      const views = [(await xp.data()) as Float32Array];
      if (xd !== null) views.push((await xd.data()) as Float32Array);
      forEachRows(g, views, xp.shape, fn);
    } finally {
      xp.dispose();
      xd?.dispose();
    }
  }
}
