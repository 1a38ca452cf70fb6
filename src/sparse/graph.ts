// toSparseGraphArtifacts: the graph-model counterpart of toSparseModel. In the artifacts of a tfjs
// graph model (model.json's GraphDef + weights), each MatMul / _FusedMatMul and each Conv2D /
// _FusedConv2D (NHWC, SAME, VALID or EXPLICIT, any stride and dilation; bias and relu / relu6 / prelu /
// leakyrelu / no activation fused) whose weight is a Const and runs faster sparse — measured here, on the current backend,
// at the caller's batch sizes — becomes a `PruneSparseMatMul` node whose weight is the packed
// matrix, an int32 Const in the new artifacts. Every other node and weight is left as it was.
import { engine, io, tidy, fused, type Tensor, type NamedTensorMap, tensor } from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors.js';
import { parseWeightSpecs, readFloat, WeightStore, type TensorEntry } from '../format/index.js';
import { packSparse, type SparseMatrix } from './format.js';
import type { Activation } from './kernel_names.js';
import type { SparseLayerTiming } from './model.js';
import { sparseKernelsRegistered } from './register.js';
import { registerSparseGraphOps, runSparseNode, SPARSE_GRAPH_OP, type SparseNodeAttrs } from './graph_op.js';
import { SparseWeights } from './op.js';

export interface ToSparseGraphOptions {
  /** Batch sizes the model will run at; sparse is chosen only if faster at every one. Default [1]. */
  batchSizes?: number[];
  /** Nodes below this sparsity stay dense without being timed. Default 0.5. */
  minSparsity?: number;
  /** Per node name: force 'sparse' or 'dense', skipping the measurement. */
  overrides?: Record<string, 'sparse' | 'dense'>;
  /** Timed calls per node, batch size and implementation (median taken). Default 15. */
  reps?: number;
  /**
   * Shapes of the model's inputs for the timing run, where model.json leaves more than the batch
   * axis unknown (-1); the batch axis is set to each of `batchSizes`. Input values are a fixed
   * pseudo-random sequence in [0, 1).
   */
  inputShapes?: Record<string, number[]>;
}

export interface SparseNodeReport {
  /** Node name (kept by the rewritten node, so outputs and signatures still find it). */
  name: string;
  /** The node's op before: MatMul, _FusedMatMul, Conv2D or _FusedConv2D. */
  op: string;
  /** Weight as [k, n] (a 1×1 convolution: [input channels, filters]; a kh×kw one: [kh·kw·channels, filters]). */
  shape: [number, number];
  sparsity: number;
  decision: 'sparse' | 'dense';
  reason: 'measured' | 'override' | 'below minSparsity' | 'unsupported';
  /** Why an unsupported node stays dense (e.g. 'fused activation Prelu'). */
  detail?: string;
  timings: SparseLayerTiming[];
  /** Dense float32 bytes of the weight, and of its packed form (0 for unsupported nodes). */
  denseBytes: number;
  sparseBytes: number;
}

export interface ToSparseGraphReport {
  backend: string;
  batchSizes: number[];
  nodes: SparseNodeReport[];
  /** float32 bytes of the candidate nodes' weights before, and the same weights after (sparse or dense). */
  denseBytes: number;
  afterBytes: number;
  /** All weight bytes of the artifacts, before and after (as stored: quantized weights count their storage). */
  weightBytesBefore: number;
  weightBytesAfter: number;
}

/** A GraphDef node as model.json holds it. */
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  device?: string;
  attr?: Record<string, { b?: boolean; i?: string | number; s?: string; list?: { s?: string[]; i?: (string | number)[] }; [key: string]: unknown }>;
}

/** A node that can become sparse, before the decision. */
interface Candidate {
  node: GraphNode;
  /** The weight Const's tensor (name = node name). */
  weight: TensorEntry;
  /** The x input (as written in the node) and the bias input, if one is fused. */
  x: string;
  bias: string | null;
  /** A fused Prelu's alpha input. */
  alpha: string | null;
  attrs: SparseNodeAttrs;
  conv: { strides: [number, number]; padding: string; dilations: [number, number]; pads: [number, number, number, number] } | null;
  transposeB: boolean;
}

const MATMULS = new Set(['MatMul', '_FusedMatMul']);
const CONVS = new Set(['Conv2D', '_FusedConv2D']);
const FUSED_ACTIVATIONS: Record<string, Activation> = { relu: 'relu', relu6: 'relu6' };

const b64 = (s: string) => (typeof atob === 'function' ? atob(s) : '');
const strAttr = (n: GraphNode, key: string): string | undefined => {
  const s = n.attr?.[key]?.s;
  return s === undefined ? undefined : b64(s);
};
const intList = (n: GraphNode, key: string): number[] | undefined => n.attr?.[key]?.list?.i?.map(Number);
/** Tensor name of an input reference ('node', 'node:0' → 'node'; control inputs '^node' → null). */
const producer = (ref: string): string | null => (ref.startsWith('^') ? null : ref.replace(/:0$/, ''));

/**
 * Why `node` cannot run sparse, or its candidate description. `consts` maps Const node names to
 * their weight tensors.
 */
function classify(node: GraphNode, consts: Map<string, TensorEntry>): Candidate | { unsupported: string; weight: TensorEntry } | null {
  const inputs = (node.input ?? []).filter((r) => !r.startsWith('^'));
  const wName = inputs[1] === undefined ? null : producer(inputs[1]);
  const weight = wName === null ? undefined : consts.get(wName);
  if (weight === undefined || inputs[0] === undefined) return null; // weight computed at run time: not ours
  const no = (why: string) => ({ unsupported: why, weight });
  if (weight.dtype !== 'float32') return no(`weight dtype ${weight.dtype}`);
  const fusedOps = (node.attr?.fused_ops?.list?.s ?? []).map(b64);
  let bias: string | null = null;
  let alpha: string | null = null;
  let activation: Activation = 'linear';
  let post: SparseNodeAttrs['post'] = 'none';
  if (fusedOps.length > 0) {
    if (fusedOps[0] !== 'BiasAdd' || fusedOps.length > 2) return no(`fused ops ${fusedOps.join('+')}`);
    const act = (fusedOps[1] ?? '').toLowerCase();
    if (act !== '') {
      if (FUSED_ACTIVATIONS[act] !== undefined) activation = FUSED_ACTIVATIONS[act];
      else if (act === 'prelu' || act === 'leakyrelu') post = act;
      else return no(`fused activation ${fusedOps[1]}`);
    }
    const args = post === 'prelu' ? 2 : 1;
    if (Number(node.attr?.num_args?.i ?? 1) !== args || inputs[1 + args] === undefined) return no(`fused ops ${fusedOps.join('+')} with ${node.attr?.num_args?.i ?? 1} extra arguments`);
    bias = inputs[2];
    if (post === 'prelu') alpha = inputs[3];
  }
  const leakyreluAlpha = Number((node.attr?.leakyrelu_alpha as { f?: number } | undefined)?.f ?? 0.2);
  const shape = weight.shape;
  const base = { node, weight, x: inputs[0], bias, alpha };
  const act = { activation, post, leakyreluAlpha };
  if (MATMULS.has(node.op)) {
    if (shape.length !== 2) return no(`weight of rank ${shape.length}`);
    const transposeB = node.attr?.transpose_b?.b === true;
    const [k, n] = transposeB ? [shape[1], shape[0]] : shape;
    const attrs: SparseNodeAttrs = { k, n, nnz: 0, wide: false, ...act, transposeA: node.attr?.transpose_a?.b === true, strides: [1, 1], kernel: [1, 1], dilations: [1, 1], padding: 'valid', pads: [0, 0, 0, 0] };
    return { ...base, conv: null, transposeB, attrs };
  }
  if (shape.length !== 4) return no(`weight of rank ${shape.length}`);
  const conv = convGeometry(node);
  if (typeof conv === 'string') return no(conv);
  const pointwise = shape[0] * shape[1] === 1;
  const attrs: SparseNodeAttrs = {
    k: shape[0] * shape[1] * shape[2], n: shape[3], nnz: 0, wide: false, ...act, transposeA: false, strides: conv.strides,
    kernel: [shape[0], shape[1]], dilations: pointwise ? [1, 1] : conv.dilations, padding: conv.padding.toLowerCase() as SparseNodeAttrs['padding'], pads: conv.pads,
  };
  return { ...base, transposeB: false, conv, attrs };
}

/** A Conv2D node's geometry, or why it cannot run sparse. */
function convGeometry(node: GraphNode): NonNullable<Candidate['conv']> | string {
  const format = strAttr(node, 'data_format') ?? 'NHWC';
  if (format !== 'NHWC') return `data format ${format}`;
  const padding = strAttr(node, 'padding') ?? 'VALID';
  if (padding !== 'SAME' && padding !== 'VALID' && padding !== 'EXPLICIT') return `padding ${padding}`;
  const e = padding === 'EXPLICIT' ? intList(node, 'explicit_paddings') ?? [] : [0, 0, 0, 0, 0, 0, 0, 0];
  if (e.length !== 8 || e[0] !== 0 || e[1] !== 0 || e[6] !== 0 || e[7] !== 0 || !e.every((v) => v >= 0)) return `explicit paddings [${e.join(', ')}]`;
  const s = intList(node, 'strides') ?? [1, 1, 1, 1];
  if (s.length !== 4 || s[0] !== 1 || s[3] !== 1 || !(s[1] >= 1 && s[2] >= 1)) return `strides [${s.join(', ')}]`;
  const d = intList(node, 'dilations') ?? [1, 1, 1, 1];
  if (d.length !== 4 || d[0] !== 1 || d[3] !== 1 || !(d[1] >= 1 && d[2] >= 1)) return `dilations [${d.join(', ')}]`;
  // A 1×1 kernel with SAME or VALID padding reads pixel (i·s, j·s): no padding is ever added.
  return { strides: [s[1], s[2]], padding, dilations: [d[1], d[2]], pads: [e[2], e[3], e[4], e[5]] };
}

/** The dense weight as a [k, n] row-major matrix (a filter [kh, kw, c, n] is one already). */
function denseMatrix(c: Candidate, values: Float32Array): Float32Array {
  if (!c.transposeB) return values;
  const { k, n } = c.attrs;
  const out = new Float32Array(k * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) out[i * n + j] = values[j * k + i];
  return out;
}

function checkOptions(artifacts: unknown, options: ToSparseGraphOptions, fname: string): GraphNode[] {
  if (!sparseKernelsRegistered()) throw new ArgumentError(`${fname}: await registerSparseKernels() (or registerSparseGraphOps()) first`);
  const topo = (artifacts as { modelTopology?: { node?: unknown } } | null)?.modelTopology;
  if (topo === null || typeof topo !== 'object' || !Array.isArray(topo.node)) {
    throw new ArgumentError(`${fname}: artifacts must be a graph model's (modelTopology.node is a GraphDef node list); a layers model goes through toSparseModel`);
  }
  const batchSizes = options.batchSizes ?? [1];
  if (batchSizes.length === 0 || !batchSizes.every((b) => Number.isSafeInteger(b) && b >= 1)) {
    throw new ArgumentError(`${fname}: batchSizes must be positive integers, got ${JSON.stringify(batchSizes)}`);
  }
  const minSparsity = options.minSparsity ?? 0.5;
  if (!(minSparsity >= 0 && minSparsity <= 1)) throw new ArgumentError(`${fname}: minSparsity must be in [0, 1], got ${minSparsity}`);
  return topo.node as GraphNode[];
}

/**
 * Returns new artifacts and a report. Each candidate node (see the file's head) whose weight
 * reaches `minSparsity` is timed dense (tf.fused.matMul / tf.fused.conv2d, as the node runs in
 * tfjs) and sparse (the PruneSparseMatMul node's own computation) on the activation the model
 * feeds it, at every batch size in `batchSizes`, on the current backend; it becomes sparse when
 * sparse is faster at all of them, or when `overrides` says so. The packed weights replace the
 * dense ones where no other node reads them. The input artifacts are not modified. The result
 * loads with tf.loadGraphModel once registerSparseGraphOps() has run. Needs
 * registerSparseKernels(); the timing loads the model with tfjs-converter (imported here).
 */
export async function toSparseGraphArtifacts(artifacts: io.ModelArtifacts, options: ToSparseGraphOptions = {}): Promise<{ artifacts: io.ModelArtifacts; report: ToSparseGraphReport }> {
  const fname = 'toSparseGraphArtifacts';
  const nodes = checkOptions(artifacts, options, fname);
  const batchSizes = options.batchSizes ?? [1];
  const minSparsity = options.minSparsity ?? 0.5;
  const overrides = options.overrides ?? {};
  const store = WeightStore.from(artifacts.weightData, fname);
  const entries = parseWeightSpecs(artifacts.weightSpecs ?? [], store, { fname, weightData: artifacts.weightData });
  const byName = new Map(entries.map((e) => [e.name, e]));
  const consts = new Map<string, TensorEntry>();
  for (const n of nodes) if (n.op === 'Const' && byName.has(n.name)) consts.set(n.name, byName.get(n.name)!);

  const reports: SparseNodeReport[] = [];
  const pending: { c: Candidate; m: SparseMatrix; report: SparseNodeReport }[] = [];
  for (const node of nodes) {
    if (!MATMULS.has(node.op) && !CONVS.has(node.op)) continue;
    const c = classify(node, consts);
    if (c === null) continue;
    if ('unsupported' in c) {
      reports.push({ name: node.name, op: node.op, shape: [0, 0], sparsity: 0, decision: 'dense', reason: 'unsupported', detail: c.unsupported, timings: [], denseBytes: 4 * c.weight.size, sparseBytes: 0 });
      continue;
    }
    const m = packSparse(denseMatrix(c, readFloat(store, c.weight).values), c.attrs.k, c.attrs.n, `${node.name} (weight ${c.weight.name})`);
    c.attrs.nnz = m.nnz;
    c.attrs.wide = m.wide;
    const sparsity = 1 - m.nnz / (m.k * m.n);
    const forced = overrides[node.name];
    const report: SparseNodeReport = { name: node.name, op: node.op, shape: [m.k, m.n], sparsity, decision: 'dense', reason: 'measured', timings: [], denseBytes: 4 * m.k * m.n, sparseBytes: m.data.byteLength };
    if (forced !== undefined) {
      report.decision = forced;
      report.reason = 'override';
    } else if (sparsity < minSparsity) report.reason = 'below minSparsity';
    reports.push(report);
    if (report.reason === 'measured' || report.decision === 'sparse') pending.push({ c, m, report });
  }
  for (const [name, v] of Object.entries(overrides)) {
    const r = reports.find((x) => x.name === name);
    if (r === undefined || (r.reason === 'unsupported' && v === 'sparse')) {
      throw new ArgumentError(`${fname}: overrides names '${name}', which is not a MatMul / _FusedMatMul / Conv2D / _FusedConv2D node that can run sparse${r?.detail ? ` (${r.detail})` : ''}`);
    }
    if (v !== 'sparse' && v !== 'dense') throw new ArgumentError(`${fname}: overrides['${name}'] must be 'sparse' or 'dense'`);
  }
  const toTime = pending.filter((p) => p.report.reason === 'measured');
  if (toTime.length > 0) await timeNodes(artifacts, toTime, batchSizes, options, fname);
  const chosen = pending.filter((p) => p.report.decision === 'sparse');
  const out = rewrite(artifacts, nodes, entries, store, chosen);
  const report: ToSparseGraphReport = {
    backend: engine().backendName,
    batchSizes,
    nodes: reports,
    denseBytes: reports.reduce((a, r) => a + (r.reason === 'unsupported' ? 0 : r.denseBytes), 0),
    afterBytes: reports.reduce((a, r) => a + (r.reason === 'unsupported' ? 0 : r.decision === 'sparse' ? r.sparseBytes : r.denseBytes), 0),
    weightBytesBefore: store.byteLength,
    weightBytesAfter: (out.weightData as ArrayBuffer).byteLength,
  };
  return { artifacts: out, report };
}

// The new artifacts: the chosen nodes rewritten, a packed int32 Const added per chosen node, the
// dense weight Consts no other node reads dropped (node and bytes), everything else as it was.
function rewrite(artifacts: io.ModelArtifacts, nodes: GraphNode[], entries: TensorEntry[], store: WeightStore, chosen: { c: Candidate; m: SparseMatrix }[]): io.ModelArtifacts {
  const names = new Set(nodes.map((n) => n.name));
  const replaced = new Map<string, GraphNode[]>();
  const packedData: { name: string; m: SparseMatrix }[] = [];
  for (const { c, m } of chosen) {
    let pname = `${c.node.name}/sparse_weights`;
    while (names.has(pname)) pname += '_';
    names.add(pname);
    packedData.push({ name: pname, m });
    const a = c.attrs;
    const sparseNode: GraphNode = {
      name: c.node.name,
      op: SPARSE_GRAPH_OP,
      input: [c.x, pname, ...(c.bias === null ? [] : [c.bias]), ...(c.alpha === null ? [] : [c.alpha]), ...(c.node.input ?? []).filter((r) => r.startsWith('^'))],
      ...(c.node.device !== undefined ? { device: c.node.device } : {}),
      attr: {
        k: { i: String(a.k) },
        n: { i: String(a.n) },
        nnz: { i: String(a.nnz) },
        wide: { b: a.wide },
        activation: { s: btoa(a.activation) },
        transpose_a: { b: a.transposeA },
        strides: { list: { i: a.strides.map(String) } },
        ...(a.kernel[0] * a.kernel[1] > 1 || a.padding === 'explicit' ? convAttrs(a) : {}),
        post: { s: btoa(a.post) },
        leakyrelu_alpha: { f: a.leakyreluAlpha } as never,
        T: { type: 'DT_FLOAT' } as never,
      },
    };
    const constNode: GraphNode = {
      name: pname,
      op: 'Const',
      attr: {
        value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: String(m.data.length) }] } } } as never,
        dtype: { type: 'DT_INT32' } as never,
      },
    };
    replaced.set(c.node.name, [sparseNode, constNode]);
  }
  const newNodes = nodes.flatMap((n) => replaced.get(n.name) ?? [structuredClone(n)]);
  const read = new Set(newNodes.flatMap((n) => (n.input ?? []).map((r) => r.replace(/^\^/, '').replace(/:\d+$/, ''))));
  const dropped = new Set(chosen.map(({ c }) => c.weight.name).filter((w) => !read.has(w)));
  const kept = entries.filter((e) => !dropped.has(e.name));
  const total = kept.reduce((a, e) => a + e.byteLength, 0) + packedData.reduce((a, p) => a + p.m.data.byteLength, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  const specs: io.WeightsManifestEntry[] = [];
  for (const e of kept) {
    bytes.set(store.bytes(e.byteOffset, e.byteLength), off);
    off += e.byteLength;
    specs.push(structuredClone(e.spec));
  }
  for (const p of packedData) {
    bytes.set(new Uint8Array(p.m.data.buffer, p.m.data.byteOffset, p.m.data.byteLength), off);
    off += p.m.data.byteLength;
    specs.push({ name: p.name, shape: [p.m.data.length], dtype: 'int32' });
  }
  const topology = { ...(artifacts.modelTopology as object), node: newNodes.filter((n) => !(n.op === 'Const' && dropped.has(n.name))) };
  const out: io.ModelArtifacts = { ...artifacts, modelTopology: topology, weightSpecs: specs, weightData: bytes.buffer };
  for (const key of ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
    if (artifacts[key] !== undefined) (out as Record<string, unknown>)[key] = structuredClone(artifacts[key]);
  }
  return out;
}

/** A k×k (or explicitly padded) node's geometry attributes. */
function convAttrs(a: SparseNodeAttrs): GraphNode['attr'] {
  const list = (v: number[]) => ({ list: { i: v.map(String) } });
  return { kernel: list(a.kernel), dilations: list(a.dilations), padding: { s: btoa(a.padding) }, ...(a.padding === 'explicit' ? { pads: list(a.pads) } : {}) };
}

/** tfjs-converter's loadGraphModel and GraphModel, imported only when timing or converting a live model. */
async function converter(): Promise<typeof import('@tensorflow/tfjs-converter')> {
  return import('@tensorflow/tfjs-converter');
}

// Each pending node's median dense and sparse times at each batch size, on the activation the
// model feeds it (the dense model run once per batch size on fixed pseudo-random inputs); the two
// interleaved call by call so that a load spike on a shared machine lands on both.
async function timeNodes(artifacts: io.ModelArtifacts, pending: { c: Candidate; m: SparseMatrix; report: SparseNodeReport }[], batchSizes: number[], options: ToSparseGraphOptions, fname: string): Promise<void> {
  const { loadGraphModel } = await converter();
  const model = await loadGraphModel(io.fromMemory(artifacts));
  const held = (model as unknown as { weights: Record<string, Tensor[]> }).weights;
  const weights: NamedTensorMap = {};
  for (const [name, ts] of Object.entries(held)) weights[name] = ts[0];
  const names = [...new Set(pending.map((p) => p.c.x))];
  try {
    for (const batch of batchSizes) {
      const inputs = sampleInputs(model.inputs, batch, options.inputShapes ?? {}, fname);
      let acts: Tensor[] = [];
      try {
        let outs: Tensor | Tensor[];
        try {
          outs = model.execute(inputs, names);
        } catch {
          outs = await model.executeAsync(inputs, names); // control flow (or a real error, thrown again here)
        }
        acts = Array.isArray(outs) ? outs : [outs];
        for (const p of pending) p.report.timings.push({ batch, ...timeNode(p.c, p.m, acts[names.indexOf(p.c.x)], weights, options.reps ?? 15) });
      } finally {
        // An activation can be a model input itself (returned as is) or a weight: dispose each once, weights never.
        const keep = new Set(Object.values(weights));
        new Set([...acts, ...Object.values(inputs)]).forEach((t) => keep.has(t) || t.dispose());
      }
    }
  } finally {
    model.dispose();
  }
  for (const p of pending) p.report.decision = p.report.timings.every((t) => t.sparseMs < t.denseMs) ? 'sparse' : 'dense';
}

/** Inputs for one timing run: the declared shapes with the batch axis set to `batch`. */
function sampleInputs(declared: { name: string; shape?: number[]; dtype: string }[], batch: number, given: Record<string, number[]>, fname: string): NamedTensorMap {
  const out: NamedTensorMap = {};
  for (const d of declared) {
    const raw = given[d.name] ?? d.shape;
    if (raw === undefined) throw new ArgumentError(`${fname}: the shape of input '${d.name}' is unknown; give it in inputShapes`);
    const shape = raw.map((v, i) => (i === 0 && (v === -1 || v === null) ? batch : v));
    if (shape.some((v) => !(Number.isSafeInteger(v) && v >= 0))) {
      throw new ArgumentError(`${fname}: input '${d.name}' has shape [${raw.join(', ')}], unknown beyond the batch axis; give it in inputShapes`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1 + (Math.sin(i * 12.9898) < 0 ? 1 : 0));
    out[d.name] = d.dtype === 'int32' ? tensor(Int32Array.from(values, (v) => Math.floor(v * 4)), shape, 'int32') : tensor(values, shape, 'float32');
  }
  return out;
}

function timeNode(c: Candidate, m: SparseMatrix, x: Tensor, weights: NamedTensorMap, reps: number): { denseMs: number; sparseMs: number } {
  const sw = new SparseWeights(m);
  const w = weights[c.weight.name];
  const b = c.bias === null ? undefined : weights[producer(c.bias) ?? ''];
  const bias = b ?? null;
  const alpha = c.alpha === null ? null : weights[producer(c.alpha) ?? ''] ?? null;
  const a = c.attrs;
  const activation = a.post !== 'none' ? a.post : a.activation === 'linear' ? undefined : a.activation;
  const extra = { preluActivationWeights: alpha ?? undefined, leakyreluAlpha: a.leakyreluAlpha };
  const dense = () =>
    c.conv === null
      ? fused.matMul({ a: x, b: w, transposeA: a.transposeA, transposeB: c.transposeB, bias: b, activation, ...extra })
      : fused.conv2d({ x: x as never, filter: w as never, strides: c.conv.strides, pad: convPad(c.conv), dilations: c.conv.dilations, bias: b, activation, ...extra });
  const sparse = () => runSparseNode(x, sw.tensor, bias, a, SPARSE_GRAPH_OP, alpha);
  try {
    const run = (f: () => Tensor) => {
      const t0 = performance.now();
      const y = tidy(f);
      y.dataSync(); // backends that run asynchronously (webgl) finish here
      const dt = performance.now() - t0;
      y.dispose();
      return dt;
    };
    for (let i = 0; i < 3; i++) {
      run(dense);
      run(sparse);
    }
    const d: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < reps; i++) {
      d.push(run(dense));
      s.push(run(sparse));
    }
    return { denseMs: median(d), sparseMs: median(s) };
  } finally {
    sw.dispose();
  }
}

/** tf.fused.conv2d's pad for a node's padding. */
function convPad(conv: NonNullable<Candidate['conv']>): 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  if (conv.padding !== 'EXPLICIT') return conv.padding === 'SAME' ? 'same' : 'valid';
  const [t, b, l, r] = conv.pads;
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * toSparseGraphArtifacts on a live tf.GraphModel: its artifacts (GraphModel.save into memory)
 * rewritten, loaded back with tf.loadGraphModel. Registers the graph op (registerSparseGraphOps)
 * if needed. The input model is not modified or disposed.
 */
export async function toSparseGraphModel(model: import('@tensorflow/tfjs-converter').GraphModel, options: ToSparseGraphOptions = {}): Promise<{ model: import('@tensorflow/tfjs-converter').GraphModel; report: ToSparseGraphReport }> {
  const fname = 'toSparseGraphModel';
  if (model === null || typeof model !== 'object' || typeof (model as { save?: unknown }).save !== 'function' || typeof (model as { executeAsync?: unknown }).executeAsync !== 'function') {
    throw new ArgumentError(`${fname}: model must be a tf.GraphModel`);
  }
  let saved: io.ModelArtifacts | null = null;
  await model.save(io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (saved === null) throw new ArgumentError(`${fname}: the model gave no artifacts`);
  const { artifacts, report } = await toSparseGraphArtifacts(saved, options);
  const { loadGraphModel } = await converter();
  await registerSparseGraphOps();
  return { model: await loadGraphModel(io.fromMemory(artifacts)), report };
}
