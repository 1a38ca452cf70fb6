// Which tensors are weights worth pruning, by default (docs/model.md, "Selection rule"):
// - layers models: the kernels of Dense, Conv1D/2D/3D (and their transposes), DepthwiseConv1D/2D,
//   SeparableConv1D/2D (depthwise and pointwise) and the embeddings of Embedding, found through
//   the layer classes in the topology;
// - graph models: float tensors of rank >= 2 that a MatMul / Conv / DepthwiseConv / Gather op reads
//   as its weight operand, whatever their names (real models name whole blocks
//   `conv_bn_activation`); normalization parameters there are the tensors a FusedBatchNorm* op
//   reads, or a Mul/Add fed by one (folded batch norm), never found by name;
// - weights without a topology: float tensors of rank >= 2 not named like normalization.
// Biases, normalization parameters, optimizer state and int32, bool, string and complex tensors
// never are.

export interface TensorLike {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
}

/** The tensor viewed as [outer, axis, inner]; N:M groups run along `axis` (the input axis). */
export interface NMLayout {
  outer: number;
  axis: number;
  inner: number;
}

export interface TensorRole {
  layer: string | null;
  layerClass: string | null;
  /** Selected by the default rule. */
  prunable: boolean;
  /** Why (or why not): 'Dense kernel', 'bias', 'int32', ... */
  reason: string;
  layout: NMLayout;
  /** Position in model order, for first/last layer skipping. */
  order: number;
}

/** Layer name -> Keras class, from a layers-model topology or from a live model's layers. */
export type LayerIndex = Map<string, string>;

type Kind = 'kernel' | 'kernelT' | 'depthwise' | 'embedding';

const LAYER_RULES: Record<string, Record<string, Kind>> = {
  Dense: { kernel: 'kernel' },
  Conv1D: { kernel: 'kernel' },
  Conv2D: { kernel: 'kernel' },
  Conv3D: { kernel: 'kernel' },
  Conv2DTranspose: { kernel: 'kernelT' },
  Conv3DTranspose: { kernel: 'kernelT' },
  DepthwiseConv1D: { depthwise_kernel: 'depthwise' },
  DepthwiseConv2D: { depthwise_kernel: 'depthwise' },
  SeparableConv1D: { depthwise_kernel: 'depthwise', pointwise_kernel: 'kernel' },
  SeparableConv2D: { depthwise_kernel: 'depthwise', pointwise_kernel: 'kernel' },
  Embedding: { embeddings: 'embedding' },
};

const NORM_LAYERS = /Normalization$|^BatchNorm/;
const NORM_NAME = /(batch|layer|group|instance)_?norm|batchnorm|moving_(mean|variance)|(^|\/)(bn|norm)(\/|_|$)|_bn(_|\/|$)/i;
const NORM_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', '_FusedBatchNormEx', 'BatchNormWithGlobalNormalization']);
// Element-wise ops that, fed by a batch norm's output, apply its folded scale or offset.
const FOLDED_NORM_OPS = new Set(['Mul', 'Add', 'AddV2', 'Sub', 'BiasAdd']);

// Graph ops that read a weight, the input positions of the weight operand, and its layout.
const WEIGHT_OPS: Record<string, { inputs: number[]; kind: Kind }> = {
  MatMul: { inputs: [1], kind: 'kernel' },
  _FusedMatMul: { inputs: [1], kind: 'kernel' },
  BatchMatMul: { inputs: [1], kind: 'kernel' },
  BatchMatMulV2: { inputs: [1], kind: 'kernel' },
  BatchMatMulV3: { inputs: [1], kind: 'kernel' },
  Conv1D: { inputs: [1], kind: 'kernel' },
  Conv2D: { inputs: [1], kind: 'kernel' },
  _FusedConv2D: { inputs: [1], kind: 'kernel' },
  Conv3D: { inputs: [1], kind: 'kernel' },
  Conv2DBackpropInput: { inputs: [1], kind: 'kernelT' },
  DepthwiseConv2d: { inputs: [1], kind: 'depthwise' },
  DepthwiseConv2dNative: { inputs: [1], kind: 'depthwise' },
  FusedDepthwiseConv2dNative: { inputs: [1], kind: 'depthwise' },
  Gather: { inputs: [0], kind: 'embedding' },
  GatherV2: { inputs: [0], kind: 'embedding' },
  ResourceGather: { inputs: [0], kind: 'embedding' },
  Einsum: { inputs: [0, 1], kind: 'kernel' },
};

/** N:M layout of a tensor of this kind (docs/model.md, "N:M axis"). */
export function nmLayout(shape: number[], kind: Kind): NMLayout {
  const r = shape.length;
  const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
  if (r < 2) return { outer: 1, axis: prod(shape), inner: 1 };
  switch (kind) {
    case 'kernel': // [...spatial, in, out]: groups along `in`
      return { outer: prod(shape.slice(0, r - 2)), axis: shape[r - 2], inner: shape[r - 1] };
    case 'kernelT': // [...spatial, out, in] (transposed conv) and [out, in] matrices: along the last axis
    case 'embedding': // [vocab, dim]: along dim
      return { outer: prod(shape.slice(0, r - 1)), axis: shape[r - 1], inner: 1 };
    case 'depthwise': // [...spatial, in, multiplier]: each channel reduces over the spatial window
      return { outer: 1, axis: prod(shape.slice(0, r - 2)), inner: shape[r - 2] * shape[r - 1] };
  }
}

/** Layer names -> classes from a layers-model topology (Sequential, functional, nested, wrappers). */
export function layersIndex(topology: unknown): LayerIndex | null {
  if (topology === null || typeof topology !== 'object' || topology instanceof ArrayBuffer) return null;
  const t = topology as Record<string, unknown>;
  const root = (t.model_config ?? t) as Record<string, unknown>;
  if (typeof root.class_name !== 'string') return null;
  const index: LayerIndex = new Map();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    const n = node as { class_name?: unknown; config?: unknown };
    if (typeof n.class_name !== 'string') return;
    const config = n.config as Record<string, unknown> | unknown[] | undefined;
    const layers = Array.isArray(config) ? config : (config?.layers as unknown);
    const name = Array.isArray(config) ? undefined : config?.name;
    let cls = n.class_name;
    const inner = Array.isArray(config) ? undefined : (config?.layer as { class_name?: unknown } | undefined);
    // Wrappers (TimeDistributed, Bidirectional) hold the wrapped layer's weights under their name.
    if (inner && typeof inner.class_name === 'string') {
      cls = inner.class_name;
      walk(inner, depth + 1);
    }
    if (typeof name === 'string' && !index.has(name)) index.set(name, cls);
    if (Array.isArray(layers)) for (const l of layers) walk(l, depth + 1);
  };
  walk(root, 0);
  return index;
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { b?: boolean } | undefined>;
}

interface GraphIndex {
  /** Data consumers of each node: the consuming node and the input position. */
  consumers: Map<string, { node: GraphNode; pos: number }[]>;
  /** Op of each node, by name. */
  ops: Map<string, string>;
  /** Topological position of each node. */
  order: Map<string, number>;
}

function graphIndex(topology: unknown): GraphIndex | null {
  if (topology === null || typeof topology !== 'object' || topology instanceof ArrayBuffer) return null;
  const nodes = (topology as { node?: unknown }).node;
  if (!Array.isArray(nodes)) return null;
  const consumers = new Map<string, { node: GraphNode; pos: number }[]>();
  const ops = new Map<string, string>();
  const indeg = new Map<string, number>();
  for (const node of nodes as GraphNode[]) {
    if (node === null || typeof node !== 'object' || typeof node.name !== 'string') continue;
    ops.set(node.name, node.op);
    let d = indeg.get(node.name) ?? 0;
    let pos = 0;
    const inputs = node.input;
    if (inputs !== undefined) {
      for (const raw of inputs) {
        if (typeof raw !== 'string' || raw.startsWith('^')) continue;
        const src = outputOf(raw);
        const list = consumers.get(src);
        if (list === undefined) consumers.set(src, [{ node, pos: pos++ }]);
        else list.push({ node, pos: pos++ });
        d++;
      }
    }
    indeg.set(node.name, d);
  }
  // Kahn's algorithm; nodes on cycles (control flow) keep no position and sort last.
  const order = new Map<string, number>();
  const queue: string[] = [];
  indeg.forEach((d, name) => {
    if (d === 0) queue.push(name);
  });
  for (let q = 0; q < queue.length; q++) {
    const name = queue[q];
    order.set(name, order.size);
    const list = consumers.get(name);
    if (list === undefined) continue;
    for (const c of list) {
      const d = (indeg.get(c.node.name) ?? 1) - 1;
      indeg.set(c.node.name, d);
      if (d === 0) queue.push(c.node.name);
    }
  }
  return { consumers, ops, order };
}

/** The node an input names, or the variable a weight name ends in: 'x:1' (an output index) is 'x'. */
function outputOf(input: string): string {
  const colon = input.lastIndexOf(':');
  if (colon < 0 || colon === input.length - 1) return input;
  for (let i = colon + 1; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c < 48 || c > 57) return input;
  }
  return input.slice(0, colon);
}

/** Consumers of a tensor, looking through Identity nodes. */
function weightUses(g: GraphIndex, name: string): { node: GraphNode; pos: number }[] {
  const out: { node: GraphNode; pos: number }[] = [];
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const c of g.consumers.get(n) ?? []) {
      if (c.node.op === 'Identity') stack.push(c.node.name);
      else out.push(c);
    }
  }
  return out;
}

/** A use that reads batch-norm parameters: a FusedBatchNorm* op, or a Mul/Add with a batch norm's output as another input. */
function isNormUse(g: GraphIndex, u: { node: GraphNode; pos: number }): boolean {
  if (NORM_OPS.has(u.node.op)) return true;
  if (!FOLDED_NORM_OPS.has(u.node.op)) return false;
  let pos = 0;
  for (const raw of u.node.input ?? []) {
    if (typeof raw !== 'string' || raw.startsWith('^')) continue;
    if (pos++ !== u.pos && NORM_OPS.has(g.ops.get(outputOf(raw)) ?? '')) return true;
  }
  return false;
}

function baseReason(t: TensorLike): string | null {
  if (t.group === 'optimizer') return 'optimizer state';
  if (t.dtype !== 'float32') return t.dtype;
  return null;
}

const scopeOf = (name: string) => (name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : null);

/**
 * Classifies every tensor. `layers` maps layer names to classes (from the topology or a live
 * model); `format` is the artifacts' format when known.
 */
export function classify(tensors: readonly TensorLike[], topology: unknown, layers: LayerIndex | null = layersIndex(topology)): TensorRole[] {
  const graph = layers === null ? graphIndex(topology) : null;
  // One object literal per role (a spread of a shared base is slow in V8 until optimised).
  const role = (layer: string | null, layerClass: string | null, layout: NMLayout, order: number, prunable: boolean, reason: string): TensorRole => ({
    layer,
    layerClass,
    layout,
    order,
    prunable,
    reason,
  });
  return tensors.map((t, i) => {
    const rank = t.shape.length;
    const base = baseReason(t);
    const fallbackLayout = () => nmLayout(t.shape, /depthwise/i.test(t.name) ? 'depthwise' : 'kernel');
    if (layers !== null) {
      const segs = t.name.split('/');
      const varName = outputOf(segs[segs.length - 1]).replace(/_\d+$/, '');
      let layer: string | null = null;
      for (let j = segs.length - 2; j >= 0 && layer === null; j--) if (layers.has(segs[j])) layer = segs[j];
      const cls = layer === null ? null : (layers.get(layer) as string);
      const kind = cls === null ? undefined : LAYER_RULES[cls]?.[varName];
      const r = (prunable: boolean, reason: string) => role(layer ?? scopeOf(t.name), cls, kind ? nmLayout(t.shape, kind) : fallbackLayout(), i, prunable, reason);
      if (base !== null) return r(false, base);
      if (kind && rank >= 2) return r(true, `${cls} ${varName}`);
      if (rank < 2) return r(false, varName === 'bias' ? 'bias' : cls && NORM_LAYERS.test(cls) ? 'normalization' : 'rank < 2');
      if (cls && NORM_LAYERS.test(cls)) return r(false, 'normalization');
      return r(false, cls === null ? 'layer not in the topology' : `${cls} ${varName} (not in the default rule)`);
    }
    if (graph !== null && (graph.consumers.has(t.name) || graph.order.has(t.name))) {
      const uses = weightUses(graph, t.name);
      // The first use as a weight operand, the earliest use in graph order, any normalization use.
      // A weight operand wins over everything else: names do not count in a graph.
      let weightUse: { node: GraphNode; pos: number } | undefined;
      let first = Infinity;
      let normUse = false;
      for (const u of uses) {
        if (weightUse === undefined && WEIGHT_OPS[u.node.op]?.inputs.includes(u.pos)) weightUse = u;
        const o = graph.order.get(u.node.name);
        if (o !== undefined && o < first) first = o;
        if (isNormUse(graph, u)) normUse = true;
      }
      let layout: NMLayout;
      if (weightUse) {
        let kind = WEIGHT_OPS[weightUse.node.op].kind;
        if (kind === 'kernel' && (weightUse.node.attr?.transpose_b?.b === true || weightUse.node.attr?.adj_y?.b === true || weightUse.pos === 0)) kind = 'kernelT';
        layout = nmLayout(t.shape, kind);
      } else layout = fallbackLayout();
      const r = (prunable: boolean, reason: string) =>
        role(scopeOf(t.name), weightUse?.node.op ?? uses[0]?.node.op ?? null, layout, Number.isFinite(first) ? first : Number.MAX_SAFE_INTEGER - tensors.length + i, prunable, reason);
      if (base !== null) return r(false, base);
      if (weightUse && rank >= 2) return r(true, `${weightUse.node.op} weight`);
      if (normUse) return r(false, 'normalization');
      if (rank < 2) return r(false, 'rank < 2');
      return r(false, uses.length === 0 ? 'unused in the graph' : `read by ${[...new Set(uses.map((u) => u.node.op))].join(', ')} (not a weight operand)`);
    }
    const normName = NORM_NAME.test(t.name);
    const r = (prunable: boolean, reason: string) => role(scopeOf(t.name), null, fallbackLayout(), i, prunable, reason);
    if (base !== null) return r(false, base);
    if (rank < 2) return r(false, /bias/i.test(t.name) ? 'bias' : normName ? 'normalization' : 'rank < 2');
    if (normName) return r(false, 'normalization');
    return r(true, 'rank >= 2');
  });
}

interface LayerLike {
  name: string;
  getClassName(): string;
  layers?: LayerLike[];
  layer?: LayerLike;
}

/** Layer name -> class of a live model, through containers and wrappers (a wrapper counts as the layer it wraps). */
export function layerIndexOf(model: { layers: unknown[] }): LayerIndex {
  const index: LayerIndex = new Map();
  const walk = (l: LayerLike) => {
    const inner = l.layer;
    index.set(l.name, inner ? inner.getClassName() : l.getClassName());
    for (const c of l.layers ?? []) walk(c);
  };
  for (const l of model.layers as unknown as LayerLike[]) walk(l);
  return index;
}
