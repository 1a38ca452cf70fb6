// toSparseModel: a new LayersModel in which each Dense layer (and each Conv2D 1×1 with stride 1,
// channels last: a Dense over the last axis) that runs faster sparse — measured here, on the
// current backend, for the caller's batch sizes — is a SparseDense layer, and each other Conv2D
// (k×k, or 1×1 with a stride: any strides or dilations tfjs runs, channels last, padding valid or
// same) that does is a SparseConv2D
// (im2col patches × the sparse filter). The rest of the model, and the input model, are left as
// they are.
import { engine, fused, io, tensor2d, tensor4d, tidy, type Tensor } from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { layoutOf, packSparse, type SparseMatrix } from './format.js';
import { SparseWeights, sparseMatMul } from './op.js';
import { convAxis, sparseConv2d } from './conv.js';
import { sparseKernelsRegistered } from './register.js';

export interface ToSparseModelOptions {
  /** Batch sizes the model will run at; sparse is chosen only if faster at every one. Default [1]. */
  batchSizes?: number[];
  /** Layers below this sparsity stay dense without being timed. Default 0.5. */
  minSparsity?: number;
  /** Per layer name: force 'sparse' or 'dense', skipping the measurement. */
  overrides?: Record<string, 'sparse' | 'dense'>;
  /** Timed calls per batch size and implementation (median taken). Default 15. */
  reps?: number;
}

export interface SparseLayerTiming {
  /** The model's batch size (a convolution multiplies batch · height · width rows). */
  batch: number;
  denseMs: number;
  sparseMs: number;
}

export interface SparseLayerReport {
  name: string;
  /** 'Dense' or 'Conv2D' (1×1 with stride 1 and dilation 1: becomes SparseDense; else SparseConv2D). */
  className: string;
  /** Kernel shape [k, n] (a convolution: [kh·kw·input channels, filters]). */
  shape: [number, number];
  sparsity: number;
  decision: 'sparse' | 'dense';
  reason: 'measured' | 'override' | 'below minSparsity';
  timings: SparseLayerTiming[];
  denseBytes: number;
  /** Bytes of the packed form (also given for layers that stay dense). */
  sparseBytes: number;
}

export interface ToSparseModelReport {
  backend: string;
  batchSizes: number[];
  layers: SparseLayerReport[];
  /** Kernel bytes of the Dense layers before, and of the same layers after (sparse or dense). */
  denseBytes: number;
  afterBytes: number;
}

interface DenseLike {
  name: string;
  getClassName(): string;
  getWeights(): Tensor[];
  weights: { originalName: string; shape: number[]; dtype: string; read(): Tensor }[];
  getConfig(): { strides?: unknown; dataFormat?: unknown; kernelSize?: unknown; padding?: unknown; dilationRate?: unknown };
  readonly input: unknown;
}

/** The layer's input shape from its (single) input tensor, or null (tfjs throws on shared layers). */
function inputShapeOf(layer: DenseLike): (number | null)[] | null {
  try {
    const shape = (layer.input as { shape?: unknown } | null)?.shape;
    return Array.isArray(shape) ? shape : null;
  } catch {
    return null;
  }
}

/** A k×k convolution's geometry (a SparseConv2D candidate). */
interface ConvGeometry {
  kh: number;
  kw: number;
  c: number;
  h: number;
  w: number;
  padding: 'valid' | 'same';
  strides: [number, number];
  dilationRate: [number, number];
}

interface Candidate {
  k: number;
  n: number;
  /** A 1×1 convolution's [height, width] (it becomes a SparseDense over the channels). */
  spatial: [number, number] | null;
  /** A k×k convolution (it becomes a SparseConv2D). */
  conv: ConvGeometry | null;
}

/**
 * [k, n] and what the layer becomes, when `layer` can become sparse: a Dense layer; a Conv2D,
 * channels last, 1×1 with stride 1 and dilation 1 (SparseDense); any other Conv2D, channels last,
 * with padding valid or same, strides and dilations tfjs runs (not both above 1) and a known input
 * height and width (SparseConv2D).
 */
function candidate(layer: DenseLike, kernel: Tensor | undefined): Candidate | null {
  if (kernel === undefined || kernel.dtype !== 'float32') return null;
  const cls = layer.getClassName();
  const ks = kernel.shape as number[];
  if (cls === 'Dense' && ks.length === 2) return { k: ks[0], n: ks[1], spatial: null, conv: null };
  if (cls !== 'Conv2D' || ks.length !== 4) return null;
  const c = layer.getConfig();
  const pair = (v: unknown) => (Array.isArray(v) ? v : [v ?? 1, v ?? 1]);
  const [st, dl] = [pair(c.strides), pair(c.dilationRate)];
  const ok = (p: unknown[]) => p.length === 2 && p.every((v) => Number.isSafeInteger(v) && (v as number) >= 1);
  if (c.dataFormat !== 'channelsLast' || !ok(st) || !ok(dl)) return null;
  const strides = st as [number, number];
  const dilationRate = dl as [number, number];
  const unit = (p: number[]) => p[0] === 1 && p[1] === 1;
  // tfjs' conv2d refuses strides and dilations both above 1: such a layer cannot run dense either.
  if (!unit(strides) && !unit(dilationRate)) return null;
  const shape = inputShapeOf(layer);
  if (ks[0] === 1 && ks[1] === 1 && unit(strides) && unit(dilationRate)) {
    const hw: [number, number] = [typeof shape?.[1] === 'number' ? shape[1] : 1, typeof shape?.[2] === 'number' ? shape[2] : 1];
    return { k: ks[2], n: ks[3], spatial: hw, conv: null };
  }
  const [h, w] = [shape?.[1], shape?.[2]];
  if ((c.padding !== 'valid' && c.padding !== 'same') || typeof h !== 'number' || typeof w !== 'number') return null;
  const oh = convAxis(h, (ks[0] - 1) * dilationRate[0] + 1, strides[0], c.padding).out;
  const ow = convAxis(w, (ks[1] - 1) * dilationRate[1] + 1, strides[1], c.padding).out;
  if (oh < 1 || ow < 1) return null;
  return { k: ks[0] * ks[1] * ks[2], n: ks[3], spatial: null, conv: { kh: ks[0], kw: ks[1], c: ks[2], h, w, padding: c.padding, strides, dilationRate } };
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/**
 * Returns a new LayersModel and a report. Each Dense layer (2-D kernel, float32) — and each
 * Conv2D with a 1×1 kernel, stride 1, channels last, which is a Dense over the last axis, and each
 * other Conv2D (k×k, or strided 1×1; any strides or dilations tfjs runs, channels last, padding
 * valid or same, a known input size: SparseConv2D, im2col patches × the sparse filter) — whose sparsity
 * reaches `minSparsity` is timed dense (tf.fused.matMul with its bias) and sparse (sparseMatMul)
 * at every batch size in `batchSizes` on the current backend; it becomes a SparseDense layer when
 * sparse is faster at all of them, or when `overrides` says so. The new model holds no dense copy
 * of a converted kernel; the input model is not modified (dispose it yourself if it is no longer
 * needed). Inference only: the SparseDense layers have no gradient. Needs registerSparseKernels().
 */
export async function toSparseModel(model: LayersModel, options: ToSparseModelOptions = {}): Promise<{ model: LayersModel; report: ToSparseModelReport }> {
  const fname = 'toSparseModel';
  if (!sparseKernelsRegistered()) throw new ArgumentError(`${fname}: await registerSparseKernels() first`);
  if (model === null || typeof model !== 'object' || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ArgumentError(`${fname}: model must be a tf.LayersModel`);
  }
  const batchSizes = options.batchSizes ?? [1];
  if (batchSizes.length === 0 || !batchSizes.every((b) => Number.isSafeInteger(b) && b >= 1)) {
    throw new ArgumentError(`${fname}: batchSizes must be positive integers, got ${JSON.stringify(batchSizes)}`);
  }
  const minSparsity = options.minSparsity ?? 0.5;
  if (!(minSparsity >= 0 && minSparsity <= 1)) throw new ArgumentError(`${fname}: minSparsity must be in [0, 1], got ${minSparsity}`);
  const overrides = options.overrides ?? {};
  const layers = model.layers as unknown as DenseLike[];
  for (const name of Object.keys(overrides)) {
    const l = layers.find((x) => x.name === name);
    if (l === undefined || candidate(l, l.getWeights()[0]) === null) throw new ArgumentError(`${fname}: overrides names '${name}', which is not a Dense (or Conv2D, channels last, padding valid or same, known input size) layer of the model`);
    if (overrides[name] !== 'sparse' && overrides[name] !== 'dense') throw new ArgumentError(`${fname}: overrides['${name}'] must be 'sparse' or 'dense'`);
  }

  const reports: SparseLayerReport[] = [];
  const packedOf = new Map<string, { m: SparseMatrix; conv: ConvGeometry | null }>();
  for (const layer of layers) {
    const [kernel, bias] = layer.getWeights();
    const cand = candidate(layer, kernel);
    if (cand === null) continue;
    const { k, n } = cand;
    const m = packSparse(kernel.dataSync() as Float32Array, k, n, `${layer.name}/kernel`);
    const sparsity = 1 - m.nnz / (k * n);
    const forced = overrides[layer.name];
    let decision: 'sparse' | 'dense';
    let reason: SparseLayerReport['reason'];
    let timings: SparseLayerTiming[] = [];
    if (forced !== undefined) {
      decision = forced;
      reason = 'override';
    } else if (sparsity < minSparsity) {
      decision = 'dense';
      reason = 'below minSparsity';
    } else {
      timings = timeLayer(kernel, bias ?? null, m, cand, batchSizes, options.reps ?? 15);
      decision = timings.every((t) => t.sparseMs < t.denseMs) ? 'sparse' : 'dense';
      reason = 'measured';
    }
    if (decision === 'sparse') packedOf.set(layer.name, { m, conv: cand.conv });
    reports.push({ name: layer.name, className: layer.getClassName(), shape: [k, n], sparsity, decision, reason, timings, denseBytes: 4 * k * n, sparseBytes: m.data.byteLength });
  }

  const sparse = await rebuild(model, layers, packedOf);
  const report: ToSparseModelReport = {
    backend: engine().backendName,
    batchSizes,
    layers: reports,
    denseBytes: reports.reduce((a, r) => a + r.denseBytes, 0),
    afterBytes: reports.reduce((a, r) => a + (r.decision === 'sparse' ? r.sparseBytes : r.denseBytes), 0),
  };
  return { model: sparse, report };
}

// Median ms of dense and sparse at each batch size, the two interleaved call by call so that a
// load spike on a shared machine lands on both.
// A 1×1 convolution is timed as tf.fused.conv2d on [batch, h, w, c] against the sparse product
// of its batch·h·w rows.
function timeLayer(kernel: Tensor, bias: Tensor | null, m: SparseMatrix, cand: Candidate, batchSizes: number[], reps: number): SparseLayerTiming[] {
  const { spatial, conv } = cand;
  const sw = new SparseWeights(m);
  try {
    return batchSizes.map((batch) => {
      const k = m.k;
      const rows = conv !== null ? batch * conv.h * conv.w : spatial === null ? batch : batch * spatial[0] * spatial[1];
      const cols = conv !== null ? conv.c : k;
      const x = tidy(() => tensor2d(new Float32Array(rows * cols).map((_, i) => Math.sin(i)), [rows, cols]));
      const hw = conv !== null ? [conv.h, conv.w] : spatial;
      const x4 = hw === null ? null : tensor4d(x.dataSync() as Float32Array, [batch, hw[0], hw[1], cols]);
      const run = (sparse: boolean) => {
        const t0 = performance.now();
        const y = sparse
          ? conv !== null
            ? sparseConv2d(x4 as Tensor, sw, { kernelSize: [conv.kh, conv.kw], padding: conv.padding, strides: conv.strides, dilationRate: conv.dilationRate, bias })
            : sparseMatMul(x, sw, { bias })
          : x4 === null
            ? fused.matMul({ a: x, b: kernel as never, bias: bias ?? undefined })
            : fused.conv2d({ x: x4 as never, filter: kernel as never, strides: conv?.strides ?? 1, pad: conv?.padding ?? 'valid', dilations: conv?.dilationRate ?? 1, bias: bias ?? undefined });
        y.dataSync(); // backends that run asynchronously (webgl) finish here
        const dt = performance.now() - t0;
        y.dispose();
        return dt;
      };
      for (let i = 0; i < 3; i++) {
        run(false);
        run(true);
      }
      const d: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < reps; i++) {
        d.push(run(false));
        s.push(run(true));
      }
      x.dispose();
      x4?.dispose();
      return { batch, denseMs: median(d), sparseMs: median(s) };
    });
  } finally {
    sw.dispose();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

// The new model: the topology with the chosen Dense layers as SparseDense, its weights from the
// input model's (packed where converted), loaded through tfjs' own loader.
async function rebuild(model: LayersModel, layers: DenseLike[], packedOf: Map<string, { m: SparseMatrix; conv: ConvGeometry | null }>): Promise<LayersModel> {
  const topology = model.toJSON(null, false) as unknown as { config: { layers?: LayerJson[] } | LayerJson[] };
  const layerConfigs = Array.isArray(topology.config) ? topology.config : (topology.config.layers ?? []);
  for (const lc of layerConfigs) {
    const p = packedOf.get(lc.config.name as string);
    if (p === undefined) continue;
    const { m, conv } = p;
    const c = lc.config;
    const common = {
      name: c.name,
      trainable: false,
      dtype: c.dtype ?? 'float32',
      ...(c.batch_input_shape !== undefined ? { batch_input_shape: c.batch_input_shape } : {}),
      nnz: m.nnz,
      activation: c.activation ?? 'linear',
      use_bias: c.use_bias ?? true,
    };
    if (conv !== null) {
      lc.class_name = 'SparseConv2D';
      lc.config = {
        ...common, filters: m.n, kernel_size: [conv.kh, conv.kw], input_channels: conv.c, padding: conv.padding,
        strides: conv.strides, dilation_rate: conv.dilationRate,
      };
      continue;
    }
    lc.class_name = 'SparseDense';
    lc.config = {
      name: c.name,
      trainable: false,
      dtype: c.dtype ?? 'float32',
      ...(c.batch_input_shape !== undefined ? { batch_input_shape: c.batch_input_shape } : {}),
      units: m.n,
      input_units: m.k,
      nnz: m.nnz,
      activation: c.activation ?? 'linear',
      use_bias: c.use_bias ?? true,
    };
    // (A Conv2D's filters become units; its 1×1 kernel [1, 1, c, f] is packed as [c, f].)
  }
  const specs: io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const add = (name: string, shape: number[], dtype: 'float32' | 'int32', data: Float32Array | Int32Array) => {
    specs.push({ name, shape, dtype });
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  for (const layer of layers) {
    const m = packedOf.get(layer.name)?.m;
    if (m !== undefined) {
      add(`${layer.name}/packed`, [layoutOf(m.n, m.nnz, m.wide).words], 'int32', m.data);
      const bias = layer.weights.find((w) => w.originalName.endsWith('/bias'));
      if (bias !== undefined) add(`${layer.name}/bias`, bias.shape, 'float32', bias.read().dataSync() as Float32Array);
      continue;
    }
    for (const w of layer.weights) {
      const data = w.read().dataSync();
      if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new ArgumentError(`toSparseModel: weight '${w.originalName}' has dtype ${w.dtype}, not supported`);
      add(w.originalName, w.shape, w.dtype, data as Float32Array | Int32Array);
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.byteLength;
  }
  return loadLayersModel(io.fromMemory({ modelTopology: topology as unknown as object, weightSpecs: specs, weightData: weightData.buffer }));
}

