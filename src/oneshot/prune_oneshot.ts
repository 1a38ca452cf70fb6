// pruneOneShot: one-shot pruning of a live tf.LayersModel or tf.GraphModel with calibration data
// (docs/oneshot.md). Validates everything (config, calibration, weights) before any work, walks
// the layers on a working copy of the model (walk.ts) or the graph's weight ops on a copy of its
// weight map (graph_walk.ts), and writes the caller's model only once every layer is solved, so an
// error at any point leaves it as it was. A Subject hides which of the two models it is.
import { io, slice, type Tensor } from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError, NaNWeightsError } from '../errors.js';
import { prunedCount } from '../kernels/index.js';
import { decide, normalizeConfig, type Decision } from '../model/config.js';
import { reportEntry } from '../model/engine.js';
import { buildReport } from '../model/report.js';
import { classify, layerIndexOf, type TensorRole } from '../model/select.js';
import type { TensorPruneReport } from '../model/types.js';
import { curveCounts, pooledCounts, smallest, type ErrorCurve } from './allocate.js';
import { rowLength, type Geometry } from './patches.js';
import { DEFAULT_DAMPING, errorCurve, nmKeep, nmPrunedCount, type OneShotMethod } from './solver.js';
import type { OneShotConfig, OneShotLayerReport, OneShotReport, Calibration } from './types.js';
import { captureInput, graphOps, graphTopology, isGraphModel, kernelLayout, walkGraph, writeGraphWeights, type GraphModelLike, type GraphOp } from './graph_walk.js';
import { collectStats, probeOf, walkLayers, writeLayer, type Probe, type WalkResult, type WalkTarget } from './walk.js';

const FNAME = 'pruneOneShot';
// Sparsities at which allocation 'error' measures each layer's error curve.
const ERROR_GRID = [0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1];
const OWN_KEYS = new Set(['method', 'damping', 'batchSize', 'allocation', 'nm']);
const SUPPORTED = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);
/** Inputs per output beyond which a layer is refused (8192² float64 = 512 MiB per matrix). */
const MAX_INPUTS = 8192;

export async function pruneOneShot(model: LayersModel | GraphModelLike, calibration: Calibration | null | undefined, config: OneShotConfig): Promise<OneShotReport> {
  const graph = isGraphModel(model);
  if (!graph && (model === null || typeof model !== 'object' || !Array.isArray((model as { weights?: unknown }).weights) || !Array.isArray((model as LayersModel).layers) || typeof (model as LayersModel).toJSON !== 'function')) {
    throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel or a tf.GraphModel, got ${model === null ? 'null' : typeof model}`);
  }
  const opts = parseOwn(config, calibration);
  const subject = graph ? graphSubject(model) : layersSubject(model as LayersModel);
  const { tensors, roles } = subject;
  const decisions = decide(FNAME, tensors, roles, opts.cfg);
  const targets = subject.targets(decisions);
  for (const t of targets) {
    // The solver holds a few d x d float64 matrices (H, its factor, its inverse): refuse what
    // cannot fit rather than fail deep inside (depthwise layers solve per channel: small).
    const g = t.geometry;
    const rows = g.kind === 'depthwise' ? g.kh * g.kw : rowLength(g);
    if (rows > MAX_INPUTS) {
      throw new ArgumentError(`${FNAME}: layer '${t.layer}' has ${rows} inputs per output; its ${rows}x${rows} float64 statistics (${Math.round((rows * rows * 8) / 2 ** 20)} MiB each, several held) exceed the solver's limit of ${MAX_INPUTS} inputs; exclude it`);
    }
  }
  const values = await subject.read();
  for (const t of targets) checkFinite(tensors[t.tensor].name, values[t.tensor]);
  const cal = calibration === null || calibration === undefined ? { batches: [], owned: [] } : await calibrationBatches(subject.inputs, calibration, opts.batchSize);
  const batches = cal.batches;
  try {
    return await solveAndWrite(subject, decisions, targets, values, batches, opts);
  } finally {
    for (const t of cal.owned) t.dispose();
  }
}

/**
 * What pruneOneShot needs of a model, LayersModel or GraphModel: its weights (names, shapes, roles
 * for the selection), its weight ops as targets, its inputs, a probe of a target's input in the
 * dense model, the walk, and the final write.
 */
interface Subject {
  format: 'layers-model' | 'graph-model';
  tensors: TensorInfo[];
  roles: TensorRole[];
  /** Every weight's values (float32 ones; others empty), in `tensors` order. */
  read(): Promise<Float32Array[]>;
  targets(decisions: Decision[]): Target[];
  inputs: InputSpec[];
  probe(t: Target): Probe;
  walk(targets: Target[], walkTargets: WalkTarget[], values: Float32Array[], batches: Tensor[][], opts: Parsed): Promise<WalkResult[]>;
  write(targets: Target[], kernels: { kernel: Float32Array; bias: Float32Array | null }[]): void;
}

interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
  size: number;
}

interface InputSpec {
  /** null or a negative number: any size. Undefined: any shape. */
  shape: (number | null)[] | undefined;
  dtype: string;
}

function layersSubject(model: LayersModel): Subject {
  const tensors = model.weights.map((v) => ({ name: v.originalName, shape: [...v.shape] as number[], dtype: v.dtype as string, size: (v.shape as number[]).reduce((a, b) => a * b, 1) }));
  const roles = classify(tensors, null, layerIndexOf(model));
  return {
    format: 'layers-model',
    tensors,
    roles,
    read: () => Promise.all(model.weights.map((v) => v.read().data() as Promise<Float32Array>)),
    targets: (decisions) => findTargets(model, tensors, roles, decisions),
    inputs: model.inputs.map((i) => ({ shape: i.shape, dtype: 'float32' })),
    probe: (t) => probeOf(model, t.layer),
    walk: (_targets, walkTargets, values, batches, opts) => walkOnCopy(model, values, walkTargets, batches, opts),
    write: (targets, kernels) => targets.forEach((t, i) => writeLayer(model, t.layer, kernels[i].kernel, kernels[i].bias)),
  };
}

function graphSubject(model: GraphModelLike): Subject {
  const map = model.executor.weightMap;
  const names = Object.keys(map);
  const tensors = names.map((name) => {
    const t = map[name][0];
    return { name, shape: [...t.shape], dtype: t.dtype as string, size: t.size };
  });
  const roles = classify(tensors, graphTopology(model), null);
  return {
    format: 'graph-model',
    tensors,
    roles,
    read: () => Promise.all(tensors.map((t, i) => (t.dtype === 'float32' ? (map[names[i]][0].data() as Promise<Float32Array>) : Promise.resolve(new Float32Array(0))))),
    targets(decisions) {
      const index = new Map(names.map((n, i) => [n, i]));
      // Topological order (each weight's first use), so that a layer sees its pruned predecessors.
      const chosen = decisions.flatMap((d, i) => (d.prune ? [i] : [])).sort((a, b) => roles[a].order - roles[b].order || a - b);
      const ops = graphOps(model, chosen.map((i) => names[i]));
      return ops.map((op, k) => ({ tensor: chosen[k], bias: op.bias === null ? null : (index.get(op.bias) ?? null), layer: op.node, layerClass: op.op, geometry: op.geometry, m: op.m, graph: op }));
    },
    inputs: model.inputs.map((i) => ({ shape: i.shape, dtype: i.dtype })),
    probe: (t) => captureInput(model, null, (t.graph as GraphOp).input),
    walk: (targets, walkTargets, _values, batches, opts) => walkGraph(model, targets.map((t) => t.graph as GraphOp), walkTargets, batches, { method: opts.method, damping: opts.damping }),
    write(targets, kernels) {
      const updates = new Map<string, Float32Array>();
      targets.forEach((t, i) => {
        const op = t.graph as GraphOp;
        updates.set(op.weight, kernelLayout(kernels[i].kernel, op, true));
        if (op.bias !== null && kernels[i].bias !== null) updates.set(op.bias, kernels[i].bias as Float32Array);
      });
      writeGraphWeights(model, updates);
    },
  };
}

/** Solves every target (nothing written), then writes the caller's model and builds the report. */
async function solveAndWrite(
  subject: Subject,
  decisions: Decision[],
  targets: Target[],
  values: Float32Array[],
  batches: Tensor[][],
  opts: Parsed,
): Promise<OneShotReport> {
  const { tensors, roles } = subject;
  const walkTargets: WalkTarget[] = targets.map((t) => ({
    layer: t.layer,
    geometry: t.geometry,
    m: t.m,
    // [inputs, outputs]: a MatMul with transpose_b stores its kernel the other way round.
    kernel: t.graph === undefined ? values[t.tensor] : kernelLayout(values[t.tensor], t.graph, false),
    bias: t.bias === null ? null : values[t.bias],
    prune: 0,
    nm: null,
  }));
  const counts = await layerCounts(subject, targets, walkTargets, targets.map((t) => decisions[t.tensor]), batches, opts);
  walkTargets.forEach((t, i) => {
    const nm = decisions[targets[i].tensor].nm;
    if (nm === null) t.prune = counts[i];
    else {
      // Groups along the input axis (docs/model.md, "N:M axis"): a Dense kernel's inputs, a
      // convolution's input channels at each kernel position, a depthwise kernel's window.
      const g = t.geometry;
      const axis = g.kind === 'dense' ? g.inputs : g.kind === 'conv2d' ? g.cin : g.kh * g.kw;
      t.nm = { n: nm.n, m: nm.m, axis };
      const rows = g.kind === 'depthwise' ? g.kh * g.kw : t.kernel.length / t.m;
      const outs = g.kind === 'depthwise' ? g.mult : t.m;
      t.prune = nmPrunedCount(rows, outs, t.nm) * (g.kind === 'depthwise' ? g.cin : 1);
    }
  });

  const results = opts.method === 'magnitude' && batches.length === 0 ? null : await subject.walk(targets, walkTargets, values, batches, opts);
  const kernels = walkTargets.map((t, i) => (results === null ? magnitudeOnly(t) : { kernel: results[i].kernel, bias: results[i].bias }));
  // Every value is known: now, and only now, the caller's model is written.
  subject.write(targets, kernels);

  const byTensor = new Map(targets.map((t, i) => [t.tensor, i]));
  // Biases are refit by 'reconstruct': their values after are the solved ones.
  const newValues = new Map<number, Float32Array>();
  targets.forEach((t, i) => {
    newValues.set(t.tensor, t.graph === undefined ? kernels[i].kernel : kernelLayout(kernels[i].kernel, t.graph, true));
    if (t.bias !== null && kernels[i].bias !== null) newValues.set(t.bias, kernels[i].bias as Float32Array);
  });
  const entries: TensorPruneReport[] = tensors.map((t, i) => {
    const ti = byTensor.get(i);
    const after = newValues.get(i) ?? values[i];
    const zerosBefore = t.dtype === 'float32' ? zeros(values[i]) : 0;
    const zerosAfter = t.dtype === 'float32' ? zeros(after) : 0;
    const target = ti === undefined ? null : walkTargets[ti].prune / t.size;
    return reportEntry(t, roles[i], decisions[i].reason, t.dtype, zerosBefore, zerosAfter, target, null, ti === undefined ? null : opts.method);
  });
  const base = buildReport(subject.format, opts.cfg.scope, 'magnitude', opts.cfg.sparsity, entries, { before: { raw: 0, gzip: null }, after: { raw: 0, gzip: null }, quantized: { raw: 0, gzip: null, dtype: 'uint8' } });
  const layers: OneShotLayerReport[] = walkTargets.map((t, i) => ({
    layer: t.layer,
    layerClass: targets[i].layerClass,
    tensor: tensors[targets[i].tensor].name,
    params: t.kernel.length,
    pruned: t.prune,
    sparsity: t.kernel.length === 0 ? 0 : t.prune / t.kernel.length,
    error: results === null ? null : results[i].error,
    solver: results === null ? 'mask' : results[i].solver,
    statsBytes: results === null ? 0 : results[i].statsBytes,
  }));
  return {
    method: opts.method,
    scope: base.scope,
    sparsity: base.sparsity,
    calibration: { examples: batches.reduce((a, b) => a + b[0].shape[0], 0), batches: batches.length },
    tensors: base.tensors,
    layers,
    totals: base.totals,
  };
}

interface Parsed {
  cfg: ReturnType<typeof normalizeConfig>;
  method: OneShotMethod;
  damping: number;
  batchSize: number;
  allocation: 'magnitude' | 'error';
}

function parseOwn(config: OneShotConfig, calibration: unknown): Parsed {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`${FNAME}: config must be an object such as { sparsity: 0.9 }, got ${config === null ? 'null' : typeof config}`);
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!OWN_KEYS.has(k)) rest[k] = v;
  if ('quantize' in rest) throw new ArgumentError(`${FNAME}: quantize changes the stored weights' format; use pruneArtifacts on the saved model for it`);
  if (config.nm !== undefined) {
    if (typeof config.nm !== 'string' || !/^\d+:\d+$/.test(config.nm)) throw new ArgumentError(`${FNAME}: nm must be 'N:M' such as '2:4', got ${JSON.stringify(config.nm)}`);
    // The N:M pattern rides on PruneConfig's own N:M method, so its checks and overrides apply.
    rest.method = config.nm;
  }
  const cfg = normalizeConfig(FNAME, rest, false);
  const hasData = calibration !== null && calibration !== undefined;
  const method = config.method ?? (hasData ? 'reconstruct' : 'magnitude');
  if (method !== 'magnitude' && method !== 'activation' && method !== 'reconstruct') {
    throw new ArgumentError(`${FNAME}: method must be 'magnitude', 'activation' or 'reconstruct', got ${JSON.stringify(method)}`);
  }
  if (method !== 'magnitude' && !hasData) throw new ArgumentError(`${FNAME}: method '${method}' needs calibration data (a tensor of example inputs)`);
  if (cfg.overrides.some((o) => o.nm !== null)) throw new ArgumentError(`${FNAME}: N:M overrides are not supported by one-shot pruning yet`);
  const damping = config.damping ?? DEFAULT_DAMPING;
  if (typeof damping !== 'number' || !(damping > 0 && damping < 1e6)) throw new ArgumentError(`${FNAME}: damping must be a positive number (λ = damping · mean(diag H)), got ${String(damping)}`);
  const batchSize = config.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`${FNAME}: batchSize must be a positive integer, got ${String(batchSize)}`);
  const allocation = config.allocation ?? 'magnitude';
  if (allocation !== 'magnitude' && allocation !== 'error') throw new ArgumentError(`${FNAME}: allocation must be 'magnitude' or 'error', got ${JSON.stringify(allocation)}`);
  if (allocation === 'error' && (method !== 'reconstruct' || cfg.scope !== 'global')) throw new ArgumentError(`${FNAME}: allocation 'error' applies to method 'reconstruct' under scope 'global'`);
  return { cfg, method, damping, batchSize, allocation };
}

interface Target {
  tensor: number;
  bias: number | null;
  layer: string;
  layerClass: string;
  geometry: Geometry;
  m: number;
  /** A GraphModel's weight op. */
  graph?: GraphOp;
}

interface LiveLayer {
  name: string;
  getClassName(): string;
  kernel?: { originalName: string };
  depthwiseKernel?: { originalName: string };
  bias?: { originalName: string } | null;
  inboundNodes: unknown[];
  getConfig(): Record<string, unknown>;
}

function findTargets(model: LayersModel, tensors: { name: string; shape: number[] }[], roles: { layer: string | null; layerClass: string | null }[], decisions: Decision[]): Target[] {
  const top = new Map((model.layers as unknown as LiveLayer[]).map((l) => [l.name, l]));
  const index = new Map(tensors.map((t, i) => [t.name, i]));
  const out: Target[] = [];
  decisions.forEach((d, i) => {
    if (!d.prune) return;
    const t = tensors[i];
    const name = roles[i].layer;
    const cls = roles[i].layerClass;
    const layer = name === null ? undefined : top.get(name);
    if (layer === undefined || cls === null || !SUPPORTED.has(cls) || (layer.kernel ?? layer.depthwiseKernel)?.originalName !== t.name) {
      throw new ArgumentError(
        `${FNAME}: tensor '${t.name}' (${cls ?? 'no layer'}) is selected, but one-shot pruning handles the kernels of top-level Dense, Conv2D and DepthwiseConv2D layers only; exclude it (config.exclude)`,
      );
    }
    if (layer.inboundNodes.length !== 1) throw new ArgumentError(`${FNAME}: layer '${name}' is called ${layer.inboundNodes.length} times (shared); one-shot pruning needs one input per layer; exclude it`);
    const bias = layer.bias ? (index.get(layer.bias.originalName) ?? null) : null;
    const geometry = geometryOf(layer, t.shape);
    out.push({ tensor: i, bias, layer: layer.name, layerClass: cls, geometry, m: cls === 'DepthwiseConv2D' ? t.shape[2] * t.shape[3] : t.shape[t.shape.length - 1] });
  });
  return out;
}

function geometryOf(layer: LiveLayer, shape: number[]): Geometry {
  if (layer.getClassName() === 'Dense') return { kind: 'dense', inputs: shape[0] };
  const c = layer.getConfig();
  const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v ?? 1), Number(v ?? 1)]);
  if (c.data_format !== undefined && c.data_format !== 'channelsLast') throw new ArgumentError(`${FNAME}: layer '${layer.name}': only channelsLast convolutions are supported, got ${String(c.data_format)}`);
  const padding = c.padding === 'same' ? 'same' : c.padding === 'valid' || c.padding === undefined ? 'valid' : null;
  if (padding === null) throw new ArgumentError(`${FNAME}: layer '${layer.name}': padding ${String(c.padding)} is not supported`);
  const conv = { kh: shape[0], kw: shape[1], cin: shape[2], strides: pair(c.strides), dilation: pair(c.dilation_rate), padding } as const;
  return layer.getClassName() === 'DepthwiseConv2D' ? { kind: 'depthwise', ...conv, mult: shape[3] } : { kind: 'conv2d', ...conv };
}

function checkFinite(name: string, v: Float32Array): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== v[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0) throw new NaNWeightsError(`${FNAME}: tensor '${name}' holds ${count} NaN value${count === 1 ? '' : 's'}, the first at element ${first}`, count, first);
}

/** The calibration as batches of the model's inputs (one Tensor per model input in each). */
async function calibrationBatches(inputs: InputSpec[], calibration: Calibration, batchSize: number): Promise<{ batches: Tensor[][]; owned: Tensor[] }> {
  const raw: Tensor[][] = [];
  const asBatch = (x: unknown, where: string): Tensor[] => {
    const list = Array.isArray(x) ? x : [x];
    if (list.length !== inputs.length) throw new ArgumentError(`${FNAME}: ${where} has ${list.length} tensor(s), the model has ${inputs.length} input(s)`);
    list.forEach((t, k) => checkInput(inputs[k], t, k, where));
    return list as Tensor[];
  };
  if (isTensor(calibration) || (Array.isArray(calibration) && calibration.every(isTensor))) {
    raw.push(asBatch(calibration, 'calibration'));
  } else if (calibration !== null && typeof calibration === 'object' && (Symbol.asyncIterator in calibration || Symbol.iterator in calibration)) {
    let b = 0;
    for await (const x of calibration as AsyncIterable<Tensor | Tensor[]>) raw.push(asBatch(x, `calibration batch ${b++}`));
    if (raw.length === 0) throw new ArgumentError(`${FNAME}: calibration yielded no batch`);
  } else {
    throw new ArgumentError(`${FNAME}: calibration must be a tf.Tensor, an array of them (one per model input) or an iterable of such batches`);
  }
  // Validate values (NaN would poison every statistic) and cut into batches of batchSize rows.
  const out: Tensor[][] = [];
  // Slices made here (batches longer than batchSize) are ours to dispose; the caller's are not.
  const owned: Tensor[] = [];
  for (const [bi, batch] of raw.entries()) {
    for (const [k, t] of batch.entries()) {
      const v = (await t.data()) as Float32Array;
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) throw new ArgumentError(`${FNAME}: calibration batch ${bi}, input ${k} holds a non-finite value (${v[i]}) at element ${i}`);
      }
    }
    const rows = batch[0].shape[0];
    if (batch.some((t) => t.shape[0] !== rows)) throw new ArgumentError(`${FNAME}: calibration batch ${bi}: the inputs hold different numbers of examples`);
    if (rows === 0) throw new ArgumentError(`${FNAME}: calibration batch ${bi} holds no example`);
  }
  // Everything checked: only now are slices made.
  for (const batch of raw) {
    const rows = batch[0].shape[0];
    if (rows <= batchSize) {
      out.push(batch);
      continue;
    }
    for (let s = 0; s < rows; s += batchSize) {
      // tfjs-core's functional slice: a bundle that imports tfjs-core by name has no chained tensor methods.
      const part = batch.map((t) => slice(t, s, Math.min(batchSize, rows - s)));
      owned.push(...part);
      out.push(part);
    }
  }
  return { batches: out, owned };
}

function isTensor(x: unknown): x is Tensor {
  return x !== null && typeof x === 'object' && typeof (x as Tensor).dataSync === 'function' && Array.isArray((x as Tensor).shape);
}

function checkInput(spec: InputSpec, t: unknown, k: number, where: string): void {
  if (!isTensor(t)) throw new ArgumentError(`${FNAME}: ${where}: input ${k} is not a tf.Tensor`);
  const want = spec.shape;
  const any = (w: number | null) => w === null || w < 0;
  const ok = t.dtype === spec.dtype && (want === undefined || (t.shape.length === want.length && want.every((w, i) => i === 0 || any(w) || w === t.shape[i])));
  if (!ok) throw new ArgumentError(`${FNAME}: ${where}: input ${k} is ${t.dtype}[${t.shape.join(',')}], the model expects ${spec.dtype}[${want === undefined ? '...' : want.map((w, i) => (i === 0 ? 'batch' : any(w) ? '?' : w)).join(',')}]`);
}

/** Exact per-layer counts: round(s·n) per layer, or the pool's round(s·N) shared by score. */
async function layerCounts(subject: Subject, own: Target[], targets: WalkTarget[], decisions: Decision[], batches: Tensor[][], opts: Parsed): Promise<number[]> {
  const counts = targets.map((t, i) => (decisions[i].pool || decisions[i].nm !== null ? 0 : prunedCount(decisions[i].sparsity as number, t.kernel.length)));
  const pool = decisions.flatMap((d, i) => (d.pool ? [i] : []));
  if (pool.length === 0) return counts;
  const total = pool.reduce((a, i) => a + targets[i].kernel.length, 0);
  const k = prunedCount(opts.cfg.sparsity as number, total);
  if (opts.method === 'reconstruct' && opts.allocation === 'error') {
    const dw = pool.find((i) => targets[i].geometry.kind === 'depthwise');
    if (dw !== undefined) throw new ArgumentError(`${FNAME}: allocation 'error' does not handle DepthwiseConv2D layers yet ('${targets[dw].layer}'); exclude them from the pool with an override, or use allocation 'magnitude'`);
    const curves: ErrorCurve[] = [];
    for (const i of pool) {
      const t = targets[i];
      const stats = await collectStats(t, subject.probe(own[i]), null, batches);
      const n = t.kernel.length;
      const errors = errorCurve(stats, ERROR_GRID, { damping: opts.damping });
      curves.push({ n, points: ERROR_GRID.flatMap((s, g) => (errors[g] === null ? [] : [{ count: Math.round(s * n), error: errors[g] as number }])) });
    }
    curveCounts(curves, k).forEach((c, j) => (counts[pool[j]] = c));
    return counts;
  }
  const scores = pool.map((i) => Float64Array.from(targets[i].kernel, Math.abs));
  pooledCounts(scores, k).forEach((c, j) => (counts[pool[j]] = c));
  return counts;
}

async function walkOnCopy(model: LayersModel, values: ArrayBufferView[], targets: WalkTarget[], batches: Tensor[][], opts: Parsed) {
  const work = await copyOf(model, values);
  try {
    return await walkLayers(model, work, targets, batches, { method: opts.method, damping: opts.damping });
  } finally {
    work.dispose();
  }
}

/**
 * A working copy of the model: same topology, its own variables holding the same values
 * (`values`: every weight's data, already read, in model.weights order).
 */
async function copyOf(model: LayersModel, values: ArrayBufferView[]): Promise<LayersModel> {
  const specs: io.WeightsManifestEntry[] = model.weights.map((v) => ({ name: v.originalName, shape: [...v.shape] as number[], dtype: v.dtype as 'float32' }));
  const parts = values.map((data) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const weightData = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.length;
  }
  const topology = model.toJSON(null, false) as unknown as object;
  try {
    return await loadLayersModel(io.fromMemory({ modelTopology: topology, weightSpecs: specs, weightData: weightData.buffer }));
  } catch (e) {
    throw new ArgumentError(`${FNAME}: the model cannot be copied from its own topology to walk it (${(e as Error).message}); custom layers must be registered with tf.serialization`);
  }
}

function magnitudeOnly(t: WalkTarget): { kernel: Float32Array; bias: Float32Array | null } {
  const kernel = t.kernel.slice();
  if (t.nm !== null) {
    // Rows of m outputs: a depthwise kernel [kh, kw, cin, mult] has kh·kw of cin·mult, its groups
    // along the window (t.nm.axis = kh·kw).
    const keep = nmKeep(Float64Array.from(t.kernel, Math.abs), t.kernel.length / t.m, t.m, t.nm);
    for (let i = 0; i < kernel.length; i++) if (keep[i] === 0) kernel[i] = 0;
    return { kernel, bias: t.bias };
  }
  const drop = smallest(Float64Array.from(t.kernel, Math.abs), t.prune, null);
  for (let i = 0; i < kernel.length; i++) if (drop[i] !== 0) kernel[i] = 0;
  return { kernel, bias: t.bias };
}

function zeros(v: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z;
}
