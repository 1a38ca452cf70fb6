// The walk over a live tf.GraphModel (tfjs-converter 4.22): its weight ops (MatMul, _FusedMatMul,
// Conv2D, _FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2dNative) found through the graph
// the model executes, each one's input captured by executing the graph with that input as the
// output, in topological order. The graph executor reads its weights from one map
// (`model.executor.weightMap`, node name -> [tensor]); the walk executes the model with a copy of
// that map whose solved entries are new tensors (the pruned model), or with the model's own map
// (the dense one), and puts the model's map back after each execution. The model's weights are
// replaced only by writeGraphWeights, once every layer is solved.
//
// GraphModel is typed structurally here (tfjs-converter is not a dependency of tfjs-prune).
import { clone, tensor, type NamedTensorMap, type Tensor } from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors.js';
import { withValues } from '../model/reencode.js';
import type { ModelArtifacts } from '../model/types.js';
import type { Geometry } from './patches.js';
import { solveTarget, type Probe, type WalkOptions, type WalkResult, type WalkTarget } from './walk.js';

const FNAME = 'pruneOneShot';

export interface GraphNodeLike {
  name: string;
  op: string;
  inputNames: string[];
  attrParams: Record<string, { value?: unknown } | undefined>;
  rawAttrs?: Record<string, unknown>;
}

export interface GraphModelLike {
  executor: { weightMap: Record<string, Tensor[]>; graph: { nodes: Record<string, GraphNodeLike> } };
  inputs: { name: string; shape?: number[]; dtype: string }[];
  execute(inputs: NamedTensorMap, outputs: string[]): Tensor | Tensor[];
  executeAsync(inputs: NamedTensorMap, outputs: string[]): Promise<Tensor | Tensor[]>;
  artifacts?: ModelArtifacts;
}

/** A tf.GraphModel (loaded): an executor with a weight map and a graph. */
export function isGraphModel(x: unknown): x is GraphModelLike {
  const m = x as Partial<GraphModelLike> | null;
  return (
    m !== null &&
    typeof m === 'object' &&
    typeof m.execute === 'function' &&
    typeof m.executeAsync === 'function' &&
    m.executor !== undefined &&
    typeof m.executor.weightMap === 'object' &&
    typeof m.executor.graph?.nodes === 'object'
  );
}

/** What the walk needs of one weight op beyond its WalkTarget. */
export interface GraphOp {
  /** The weight op's node. */
  node: string;
  op: string;
  /** The weight map's key of its kernel, and of its bias (a fused BiasAdd's Const), if refit. */
  weight: string;
  bias: string | null;
  /** The node output the op multiplies (its input 0), as the executor names it. */
  input: string;
  /** A MatMul with transpose_b: its kernel is stored [outputs, inputs]. */
  transposed: boolean;
  geometry: Geometry;
  /** Outputs (units, filters; a depthwise kernel's cin · multiplier). */
  m: number;
}

export const GRAPH_OPS = new Set(['MatMul', '_FusedMatMul', 'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);

/** The graph's nodes as a GraphDef-like topology (for model/select.ts' classify). */
export function graphTopology(model: GraphModelLike): { node: { name: string; op: string; input: string[]; attr: Record<string, unknown> }[] } {
  return { node: Object.values(model.executor.graph.nodes).map((n) => ({ name: n.name, op: n.op, input: n.inputNames, attr: (n.rawAttrs ?? {}) as Record<string, unknown> })) };
}

const nodeOf = (input: string) => {
  const c = input.lastIndexOf(':');
  return c > 0 && /^\d+$/.test(input.slice(c + 1)) ? input.slice(0, c) : input;
};

/**
 * The weight op reading each of `weights` (weight map keys) as its input 1, looking through
 * Identity nodes. Refused by name: a weight read by another op, by several ops, or an op or
 * attribute the walk does not handle (exclude it: config.exclude).
 */
export function graphOps(model: GraphModelLike, weights: string[]): GraphOp[] {
  const nodes = model.executor.graph.nodes;
  const consumers = new Map<string, { node: GraphNodeLike; pos: number }[]>();
  for (const n of Object.values(nodes)) {
    n.inputNames.forEach((raw, pos) => {
      const src = nodeOf(raw);
      const list = consumers.get(src);
      if (list === undefined) consumers.set(src, [{ node: n, pos }]);
      else list.push({ node: n, pos });
    });
  }
  const usesOf = (name: string) => {
    const out: { node: GraphNodeLike; pos: number }[] = [];
    const stack = [name];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const s = stack.pop() as string;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const c of consumers.get(s) ?? []) {
        if (c.node.op === 'Identity') stack.push(c.node.name);
        else out.push(c);
      }
    }
    return out;
  };
  const weightMap = model.executor.weightMap;
  return weights.map((w): GraphOp => {
    const uses = usesOf(w);
    const refuse = (why: string): never => {
      throw new ArgumentError(`${FNAME}: graph weight '${w}' is selected, but ${why}; one-shot pruning handles the weights of ${[...GRAPH_OPS].join(', ')}; exclude it (config.exclude)`);
    };
    if (uses.length !== 1) refuse(`it is read by ${uses.length} ops (${[...new Set(uses.map((u) => u.node.op))].join(', ') || 'none'}), not one`);
    const { node, pos } = uses[0];
    if (!GRAPH_OPS.has(node.op) || pos !== 1) refuse(`it is input ${pos} of ${node.op} node '${node.name}'`);
    const shape = weightMap[w][0].shape as number[];
    const attr = (k: string) => node.attrParams[k]?.value;
    const fused = (attr('fusedOps') as string[] | undefined) ?? [];
    // A fused BiasAdd's bias: a Const read by this op alone is refit with the kernel.
    const biasName = fused[0]?.toLowerCase() === 'biasadd' && node.inputNames.length > 2 ? nodeOf(node.inputNames[2]) : null;
    const bias = biasName !== null && weightMap[biasName] !== undefined && usesOf(biasName).length === 1 && weightMap[biasName][0].dtype === 'float32' ? biasName : null;
    const base = { node: node.name, op: node.op, weight: w, bias, input: node.inputNames[0] };
    if (node.op === 'MatMul' || node.op === '_FusedMatMul') {
      if (attr('transposeA') === true) refuse(`MatMul node '${node.name}' transposes its input (transpose_a)`);
      if (shape.length !== 2) refuse(`${node.op} node '${node.name}' has a rank ${shape.length} kernel`);
      const transposed = attr('transposeB') === true;
      const inputs = transposed ? shape[1] : shape[0];
      return { ...base, transposed, geometry: { kind: 'dense', inputs }, m: transposed ? shape[0] : shape[1] };
    }
    const format = String(attr('dataFormat') ?? 'nhwc').toLowerCase();
    if (format !== 'nhwc') refuse(`${node.op} node '${node.name}' is ${format.toUpperCase()}; only NHWC convolutions are supported`);
    const pad = String(attr('pad') ?? 'valid').toLowerCase();
    if (pad !== 'same' && pad !== 'valid') refuse(`${node.op} node '${node.name}' has padding '${pad}'; only SAME and VALID are supported`);
    const four = (k: string): [number, number] => {
      const v = attr(k);
      return Array.isArray(v) && v.length === 4 ? [Number(v[1]), Number(v[2])] : Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [1, 1];
    };
    if (shape.length !== 4) refuse(`${node.op} node '${node.name}' has a rank ${shape.length} kernel`);
    const conv = { kh: shape[0], kw: shape[1], cin: shape[2], strides: four('strides'), dilation: four('dilations'), padding: pad as 'same' | 'valid' };
    if (node.op === 'Conv2D' || node.op === '_FusedConv2D') return { ...base, transposed: false, geometry: { kind: 'conv2d', ...conv }, m: shape[3] };
    return { ...base, transposed: false, geometry: { kind: 'depthwise', ...conv, mult: shape[3] }, m: shape[2] * shape[3] };
  });
}

/** A kernel as the walk holds it ([inputs, outputs]), from or to its stored layout. */
export function kernelLayout(values: Float32Array, op: GraphOp, toStored: boolean): Float32Array {
  if (!op.transposed) return values;
  const rows = toStored ? (op.geometry as { inputs: number }).inputs : op.m;
  const cols = values.length / rows;
  const out = new Float32Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j];
  return out;
}

/**
 * Solves every target in order on the graph model: target t's input read from the model with the
 * solved kernels of targets 0..t-1 (a copy of the weight map), its dense output from the model as
 * it is. The model's own weights are not changed (its weight map is put back after each run).
 */
export async function walkGraph(model: GraphModelLike, ops: GraphOp[], targets: WalkTarget[], batches: Tensor[][], options: WalkOptions): Promise<WalkResult[]> {
  const ex = model.executor;
  const original = ex.weightMap;
  const work: Record<string, Tensor[]> = { ...original };
  const made: Tensor[] = [];
  const state = { async: false };
  const results: WalkResult[] = [];
  try {
    for (let t = 0; t < targets.length; t++) {
      const op = ops[t];
      const probe = captureInput(model, work, op.input, state);
      const dense = t === 0 ? null : captureInput(model, null, op.input, state);
      const result = await solveTarget(targets[t], checked(probe, op), dense, batches, options);
      const k = tensor(kernelLayout(result.kernel, op, true), original[op.weight][0].shape, 'float32');
      made.push(k);
      work[op.weight] = [k];
      if (op.bias !== null && result.bias !== null) {
        const b = tensor(result.bias, original[op.bias][0].shape, 'float32');
        made.push(b);
        work[op.bias] = [b];
      }
      results.push(result);
      options.onLayer?.(t, result);
    }
    return results;
  } finally {
    ex.weightMap = original;
    for (const x of made) x.dispose();
  }
}

/**
 * A probe reading node output `name` for a batch, the model executed with weight map `map` (null:
 * its own). `state.async` turns to executeAsync for good once execute refuses the graph.
 */
export function captureInput(model: GraphModelLike, map: Record<string, Tensor[]> | null, name: string, state: { async: boolean } = { async: false }): Probe {
  const ex = model.executor;
  const k = model.inputs.findIndex((i) => i.name === name || `${i.name}:0` === name);
  return async (batch: Tensor[]) => {
    // A model input is the batch itself: a copy, since the walk disposes what it gets.
    if (k >= 0) return clone(batch[k]);
    const feed: NamedTensorMap = {};
    model.inputs.forEach((inp, i) => (feed[inp.name] = batch[i]));
    const own = ex.weightMap;
    if (map !== null) ex.weightMap = map;
    try {
      if (!state.async) {
        try {
          return single(model.execute(feed, [name]));
        } catch (e) {
          // Control flow (a while loop, a dynamic shape) needs executeAsync.
          if (!/executeAsync/.test((e as Error).message)) throw e;
          state.async = true;
        }
      }
      return single(await model.executeAsync(feed, [name]));
    } finally {
      if (map !== null) ex.weightMap = own;
    }
  };
}

const single = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r[0] : r);

/** The captured input must be what the op's geometry says (a grouped convolution is not). */
function checked(probe: Probe, op: GraphOp): Probe {
  const fn = probe as (b: Tensor[]) => Promise<Tensor>;
  return async (batch: Tensor[]) => {
    const x = await fn(batch);
    const g = op.geometry;
    const want = g.kind === 'dense' ? g.inputs : g.cin;
    const rank = g.kind === 'dense' ? 2 : 4;
    if (x.dtype !== 'float32' || x.shape.length !== rank || x.shape[rank - 1] !== want) {
      const got = `${x.dtype}[${x.shape.join(',')}]`;
      x.dispose();
      throw new ArgumentError(`${FNAME}: ${op.op} node '${op.node}' reads a ${got} input; its weight '${op.weight}' needs float32 rank ${rank} with ${want} channels; exclude it (config.exclude)`);
    }
    return x;
  };
}

/**
 * Replaces weights of the model (weight map keys -> float32 values in their stored layout),
 * disposing the replaced tensors, and its artifacts (what GraphModel.save() writes) with the new
 * values encoded as the artifacts stored them (float32, float16, or uint8/uint16 with fresh
 * zero-preserving parameters). Returns whether the artifacts were updated (not when the model was
 * loaded without weightData, from a weight stream).
 */
export function writeGraphWeights(model: GraphModelLike, updates: Map<string, Float32Array>): boolean {
  const ex = model.executor;
  const map = ex.weightMap;
  // The artifacts are re-encoded first: if that fails, nothing has changed.
  const artifacts = model.artifacts?.weightData === undefined ? null : withValues(model.artifacts, updates, FNAME);
  const old: Tensor[] = [];
  for (const [name, values] of updates) {
    const prev = map[name][0];
    map[name] = [tensor(values, prev.shape, 'float32')];
    old.push(prev);
  }
  // The setter also refreshes the ids the executor never disposes.
  ex.weightMap = map;
  for (const t of old) t.dispose();
  if (artifacts !== null) model.artifacts = artifacts;
  return artifacts !== null;
}

