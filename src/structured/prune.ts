// pruneStructured: deletes whole Dense units and Conv filters and every slice that depends on them,
// and returns a new, physically smaller tf.LayersModel built by stock tfjs from the original's JSON
// config (with smaller `units` / `filters`) and the sliced weights. The input model is not touched.
//
// How channels are tracked (docs/structured.md): every tensor's last axis is a list of segments,
// each either fixed (a model input, the output of a layer we cannot see through) or a run of the
// units of a *group*, each unit repeated `mult` times (DepthwiseConv2D with depth_multiplier m
// turns unit u into channels u·m .. u·m+m-1). A group starts at a producer (Dense, Conv1D, Conv2D,
// SeparableConv2D); elementwise merges (Add, Multiply, ...) join the groups of their inputs, so
// they are scored and pruned as one. Flatten keeps the segments and remembers the spatial size S:
// a channels-last flatten puts channel c at position p at index p·C + c. Any layer that is not
// understood freezes the groups that reach it, and model outputs are frozen.
import { io, tidy, type Tensor } from '@tensorflow/tfjs-core';
import { loadLayersModel, model as functionalModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { columnNorms, roundHalfEven } from '../kernels/index.js';
import { compilePattern } from '../model/config.js';
import type {
  StructuredConfig,
  StructuredGroupReport,
  StructuredImportance,
  StructuredLayerReport,
  StructuredReport,
} from './types.js';

const FNAME = 'pruneStructured';

// ---- the live-model surface used here (tfjs-layers internals that are stable across 4.x) ----
interface SymTensor {
  id: number;
  shape: (number | null)[];
}
interface NodeLike {
  inputTensors: SymTensor[];
  outputTensors: SymTensor[];
}
interface VarLike {
  originalName: string;
  shape: number[];
  dtype: string;
  read(): Tensor;
}
interface LayerLike {
  name: string;
  getClassName(): string;
  inboundNodes: NodeLike[];
  weights: VarLike[];
  outputShape: (number | null)[] | (number | null)[][];
  output: SymTensor | SymTensor[];
  getConfig(): Record<string, unknown>;
  [key: string]: unknown;
}

// ---- channel bookkeeping ----
interface Seg {
  /** Group id (resolve with find()), or -1 for fixed channels. */
  g: number;
  size: number;
  mult: number;
}
interface State {
  segs: Seg[];
  /** Spatial positions folded into the last axis by Flatten (1 when none). */
  spatial: number;
}
interface Group {
  size: number;
  producers: string[];
  frozen: string | null;
  /** Kept unit indices, ascending; null = all kept. */
  keep: number[] | null;
  target: number | null;
}

const PRODUCERS = new Set(['Dense', 'Conv1D', 'Conv2D', 'SeparableConv2D']);
const PASS_ALWAYS = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Activation']);
const PASS_SPATIAL = new Set([
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
]);
const MERGES = new Set(['Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum']);
const CONFIG_KEYS = new Set(['sparsity', 'scope', 'importance', 'calibration', 'roundTo', 'layers', 'exclude', 'overrides']);

interface Normalized {
  sparsity: number;
  scope: 'layer' | 'global';
  importance: StructuredImportance;
  calibration: Tensor[] | null;
  roundTo: number;
  layers: Set<string> | null;
  exclude: Set<string>;
  overrides: { re: RegExp; source: string; sparsity: number | undefined; skip: boolean }[];
}

function checkSparsity(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new ArgumentError(`${FNAME}: ${field} must be a number in [0, 1], got ${String(v)}`);
  return v;
}

function names(field: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ArgumentError(`${FNAME}: ${field} must be an array of layer names`);
  return v as string[];
}

function normalize(config: unknown): Normalized {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`${FNAME}: config must be an object such as { sparsity: 0.5 }, got ${config === null ? 'null' : typeof config}`);
  }
  const c = config as StructuredConfig & Record<string, unknown>;
  for (const key of Object.keys(c)) if (!CONFIG_KEYS.has(key)) throw new ArgumentError(`${FNAME}: unknown config field '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  const sparsity = checkSparsity('sparsity', c.sparsity);
  const scope = c.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new ArgumentError(`${FNAME}: scope must be 'layer' or 'global', got ${String(scope)}`);
  const importance = c.importance ?? 'l1';
  if (importance !== 'l1' && importance !== 'l2' && importance !== 'activation') {
    throw new ArgumentError(`${FNAME}: importance must be 'l1', 'l2' or 'activation', got ${String(importance)}`);
  }
  let calibration: Tensor[] | null = null;
  if (c.calibration !== undefined) {
    const list = Array.isArray(c.calibration) ? c.calibration : [c.calibration];
    if (list.length === 0 || list.some((t) => t === null || typeof t !== 'object' || !Array.isArray((t as Tensor).shape))) {
      throw new ArgumentError(`${FNAME}: calibration must be a tf.Tensor or an array of them (one per model input)`);
    }
    calibration = list;
  }
  if (importance === 'activation' && calibration === null) throw new ArgumentError(`${FNAME}: importance 'activation' needs a calibration batch (config.calibration)`);
  if (importance !== 'activation' && calibration !== null) throw new ArgumentError(`${FNAME}: calibration is only used by importance 'activation' (got importance '${importance}')`);
  const roundTo = c.roundTo ?? 1;
  if (typeof roundTo !== 'number' || !Number.isInteger(roundTo) || roundTo < 1) throw new ArgumentError(`${FNAME}: roundTo must be a positive integer, got ${String(roundTo)}`);
  const layers = c.layers === undefined ? null : new Set(names('layers', c.layers));
  const exclude = new Set(names('exclude', c.exclude));
  if (c.overrides !== undefined && !Array.isArray(c.overrides)) throw new ArgumentError(`${FNAME}: overrides must be an array`);
  const overrides = (c.overrides ?? []).map((o, i) => {
    if (o === null || typeof o !== 'object') throw new ArgumentError(`${FNAME}: overrides[${i}] must be an object such as { match: 'conv*', sparsity: 0.3 }`);
    for (const key of Object.keys(o)) if (key !== 'match' && key !== 'sparsity' && key !== 'skip') throw new ArgumentError(`${FNAME}: overrides[${i}] has an unknown field '${key}' (known: match, sparsity, skip)`);
    if (typeof o.match !== 'string') throw new ArgumentError(`${FNAME}: overrides[${i}].match must be a string`);
    const p = compilePattern(FNAME, `overrides[${i}].match`, o.match);
    if (o.skip !== undefined && typeof o.skip !== 'boolean') throw new ArgumentError(`${FNAME}: overrides[${i}].skip must be a boolean`);
    if (o.sparsity === undefined && !o.skip) throw new ArgumentError(`${FNAME}: overrides[${i}] needs sparsity or skip: true`);
    return { re: p.re, source: p.source, sparsity: o.sparsity === undefined ? undefined : checkSparsity(`overrides[${i}].sparsity`, o.sparsity), skip: o.skip === true };
  });
  return { sparsity, scope, importance, calibration, roundTo, layers, exclude, overrides };
}

const last = (shape: readonly (number | null)[]): number => shape[shape.length - 1] as number;
const channelsLast = (l: LayerLike): boolean => l.dataFormat === undefined || l.dataFormat === 'channelsLast';
const activationOf = (l: LayerLike): string | null => {
  const a = l.getConfig().activation;
  return typeof a === 'string' ? a : null;
};
const outShape = (l: LayerLike): (number | null)[] => {
  const s = l.outputShape;
  return (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
};
const weightKey = (v: VarLike): string => v.originalName.slice(v.originalName.lastIndexOf('/') + 1);

/** How one weight of a layer is sliced: kept indices per axis (null: axis untouched). */
type Slice = (() => number[] | null)[];

/** pruneStructured (lazy.ts is the public entry point, which imports this module on its first call). */
export async function pruneStructured(model: LayersModel, config: StructuredConfig): Promise<{ model: LayersModel; report: StructuredReport }> {
  if (model === null || typeof model !== 'object' || !Array.isArray((model as { layers?: unknown }).layers) || typeof (model as { toJSON?: unknown }).toJSON !== 'function') {
    throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
  }
  const cfg = normalize(config);
  const layers = model.layers as unknown as LayerLike[];
  const byName = new Map(layers.map((l) => [l.name, l]));
  for (const [field, set] of [['layers', cfg.layers ?? new Set<string>()], ['exclude', cfg.exclude]] as const) {
    for (const n of set) if (!byName.has(n)) throw new ArgumentError(`${FNAME}: ${field} names layer '${n}', which the model does not have (layers: ${[...byName.keys()].join(', ')})`);
  }
  cfg.overrides.forEach((o, i) => {
    if (!layers.some((l) => o.re.test(l.name))) throw new ArgumentError(`${FNAME}: overrides[${i}].match '${o.source}' matches no layer`);
  });

  // ---- groups (union-find) ----
  const groups: Group[] = [];
  const parent: number[] = [];
  const find = (g: number): number => {
    while (parent[g] !== g) g = parent[g] = parent[parent[g]];
    return g;
  };
  const freeze = (g: number, why: string) => {
    const r = find(g);
    if (groups[r].frozen === null) groups[r].frozen = why;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    parent[rb] = ra;
    groups[ra].producers.push(...groups[rb].producers);
    if (groups[ra].frozen === null) groups[ra].frozen = groups[rb].frozen;
  };
  const newGroup = (size: number, producer: string): number => {
    groups.push({ size, producers: [producer], frozen: null, keep: null, target: null });
    parent.push(groups.length - 1);
    return groups.length - 1;
  };
  const fixed = (shape: readonly (number | null)[]): State => ({ segs: [{ g: -1, size: last(shape) ?? 0, mult: 1 }], spatial: 1 });
  const freezeState = (s: State, why: string) => {
    for (const seg of s.segs) if (seg.g >= 0) freeze(seg.g, why);
  };
  const width = (s: State) => s.segs.reduce((a, seg) => a + seg.size * seg.mult, 0);
  /** Kept channel indices of a tensor's last axis, or null when nothing is removed. */
  const kept = (s: State): number[] | null => {
    const c = width(s);
    const out: number[] = [];
    let removed = false;
    let off = 0;
    for (const seg of s.segs) {
      const keep = seg.g < 0 ? null : groups[find(seg.g)].keep;
      if (keep === null) {
        for (let i = 0; i < seg.size * seg.mult; i++) out.push(off + i);
      } else {
        removed = true;
        for (const u of keep) for (let j = 0; j < seg.mult; j++) out.push(off + u * seg.mult + j);
      }
      off += seg.size * seg.mult;
    }
    if (!removed) return null;
    if (s.spatial === 1) return out;
    const flat: number[] = [];
    for (let p = 0; p < s.spatial; p++) for (const ch of out) flat.push(p * c + ch);
    return flat;
  };

  // ---- walk the graph in order ----
  const states = new Map<number, State>();
  const stateOf = (t: SymTensor): State => states.get(t.id) ?? fixed(t.shape);
  const slices = new Map<string, Map<string, Slice>>();
  const producerGroup = new Map<string, number>();
  const layerNotes = new Map<string, string>();
  const unhandled = new Map<string, string>(); // producer-class layers that cannot be pruned, and why
  const softmaxGroups: number[] = [];

  for (const t of model.inputs as unknown as SymTensor[]) states.set(t.id, fixed(t.shape));
  for (const layer of topoOrder(layers)) {
    const cls = layer.getClassName();
    const nodes = layer.inboundNodes;
    const opaque = (why: string, note: string) => {
      let froze = false;
      for (const n of nodes) {
        for (const t of n.inputTensors) {
          const st = stateOf(t);
          froze ||= st.segs.some((seg) => seg.g >= 0);
          freezeState(st, why);
        }
        for (const t of n.outputTensors) states.set(t.id, fixed(t.shape));
      }
      // Noted where it matters: the layer stopped a prunable channel, or is itself a producer.
      if (froze || PRODUCERS.has(cls) || cls === 'DepthwiseConv2D') layerNotes.set(layer.name, note);
      if (PRODUCERS.has(cls) || cls === 'DepthwiseConv2D') unhandled.set(layer.name, note);
    };
    if (nodes.length !== 1) {
      opaque(`feeds ${cls} '${layer.name}', a layer shared by ${nodes.length} calls`, `shared by ${nodes.length} calls: left alone`);
      continue;
    }
    const node = nodes[0];
    const ins = node.inputTensors.map(stateOf);
    const outT = node.outputTensors;
    const inS = ins[0];
    const setOut = (s: State) => {
      for (const t of outT) states.set(t.id, s);
    };
    const cannot = `feeds ${cls} '${layer.name}', whose input slicing is unknown`;
    if (ins.length === 0 || cls === 'InputLayer') {
      setOut(fixed(outT[0].shape));
      continue;
    }
    const w = new Map(layer.weights.map((v) => [weightKey(v), v]));

    if (PRODUCERS.has(cls) || cls === 'DepthwiseConv2D') {
      if (ins.length !== 1 || !channelsLast(layer) || (cls !== 'Dense' && inS.spatial !== 1)) {
        opaque(cannot, cls === 'Dense' ? 'input not understood: left alone' : 'channels-first or unusual input: left alone');
        continue;
      }
      const inKeep = () => kept(inS);
      const s = new Map<string, Slice>();
      if (cls === 'DepthwiseConv2D') {
        const m = layer.depthMultiplier as number;
        const out: State = { segs: inS.segs.map((seg) => ({ ...seg, mult: seg.mult * m })), spatial: 1 };
        s.set('depthwise_kernel', [null0, null0, inKeep, null0]);
        s.set('bias', [() => kept(out)]);
        slices.set(layer.name, s);
        setOut(out);
        continue;
      }
      const units = last(outShape(layer));
      const g = newGroup(units, layer.name);
      producerGroup.set(layer.name, g);
      const outKeep = () => groups[find(g)].keep;
      if (cls === 'Dense') {
        s.set('kernel', [inKeep, outKeep]);
      } else if (cls === 'SeparableConv2D') {
        const m = layer.depthMultiplier as number;
        const mid: State = { segs: inS.segs.map((seg) => ({ ...seg, mult: seg.mult * m })), spatial: 1 };
        s.set('depthwise_kernel', [null0, null0, inKeep, null0]);
        s.set('pointwise_kernel', [null0, null0, () => kept(mid), outKeep]);
      } else {
        const rank = cls === 'Conv1D' ? 3 : 4;
        s.set('kernel', [...Array.from({ length: rank - 2 }, () => null0), inKeep, outKeep]);
      }
      s.set('bias', [outKeep]);
      slices.set(layer.name, s);
      const act = activationOf(layer);
      if (act === 'softmax') softmaxGroups.push(g);
      setOut({ segs: [{ g, size: units, mult: 1 }], spatial: 1 });
      continue;
    }
    if (cls === 'BatchNormalization') {
      const axis = layer.axis as number;
      const rank = node.inputTensors[0].shape.length;
      if (inS.spatial !== 1 || (axis !== -1 && axis !== rank - 1)) {
        opaque(cannot, 'normalizes an axis other than the last: left alone');
        continue;
      }
      const k = () => kept(inS);
      slices.set(layer.name, new Map([...w.keys()].map((key) => [key, [k]])));
      setOut(inS);
      continue;
    }
    if (PASS_ALWAYS.has(cls)) {
      if (cls === 'Activation' && activationOf(layer) === 'softmax') {
        opaque('feeds a softmax (removing a unit changes the others)', 'softmax over the channels');
        continue;
      }
      setOut(inS);
      continue;
    }
    if (PASS_SPATIAL.has(cls)) {
      if (!channelsLast(layer) || inS.spatial !== 1) {
        opaque(cannot, 'channels-first: left alone');
        continue;
      }
      setOut(inS);
      continue;
    }
    if (cls === 'Flatten') {
      const shape = node.inputTensors[0].shape;
      if (shape.length <= 2) {
        setOut(inS);
        continue;
      }
      if (!channelsLast(layer) || inS.spatial !== 1) {
        opaque(cannot, 'channels-first flatten: left alone');
        continue;
      }
      const spatial = shape.slice(1, -1).reduce((a: number, b) => a * (b as number), 1);
      setOut({ segs: inS.segs, spatial });
      continue;
    }
    const isConcatLast = cls === 'Concatenate' && ((layer.axis as number) === -1 || (layer.axis as number) === node.inputTensors[0].shape.length - 1);
    if (MERGES.has(cls) || cls === 'Concatenate') {
      if (ins.some((s) => s.spatial !== 1)) {
        opaque(cannot, 'flattened inputs: left alone');
        continue;
      }
      if (isConcatLast) {
        setOut({ segs: ins.flatMap((s) => s.segs), spatial: 1 });
        continue;
      }
      // Inputs must agree channel for channel: join their groups segment by segment.
      const first = ins[0].segs;
      const aligned = ins.every((s) => s.segs.length === first.length && s.segs.every((seg, i) => seg.size === first[i].size && seg.mult === first[i].mult));
      if (!aligned) {
        opaque(`meets other channels at ${cls} '${layer.name}' in a layout that cannot be matched`, 'inputs with different channel layouts: left alone');
        continue;
      }
      for (let i = 0; i < first.length; i++) {
        const gs = ins.map((s) => s.segs[i].g);
        if (gs.some((g) => g < 0)) {
          for (const g of gs) if (g >= 0) freeze(g, `meets fixed channels (e.g. a model input) at ${cls} '${layer.name}'`);
        } else {
          for (const g of gs.slice(1)) union(gs[0], g);
        }
      }
      setOut(ins[0]);
      continue;
    }
    opaque(cannot, `${cls}: input slicing unknown, left alone`);
  }
  for (const t of model.outputs as unknown as SymTensor[]) freezeState(stateOf(t), 'model output');
  for (const g of softmaxGroups) freeze(g, 'softmax activation (removing a unit changes the others)');

  // ---- which groups are pruned, and how hard ----
  for (const [name, g] of producerGroup) {
    if (cfg.exclude.has(name)) freeze(g, `excluded ('${name}')`);
    const o = cfg.overrides.find((ov) => ov.re.test(name));
    if (o?.skip) freeze(g, `override '${o.source}' skips '${name}'`);
  }
  const roots = [...new Set([...producerGroup.values()].map(find))];
  if (cfg.layers !== null) {
    for (const name of cfg.layers) {
      const l = byName.get(name) as LayerLike;
      const cls = l.getClassName();
      const g = producerGroup.get(name);
      if (g === undefined) {
        const why = unhandled.get(name) ?? `only ${[...PRODUCERS].join(', ')} units are removed`;
        throw new ArgumentError(`${FNAME}: layer '${name}' (${cls}) cannot be structurally pruned: ${why}`);
      }
      const frozen = groups[find(g)].frozen;
      if (frozen !== null) throw new ArgumentError(`${FNAME}: layer '${name}' (${cls}) cannot be structurally pruned: ${frozen}`);
    }
    for (const r of roots) if (!groups[r].producers.some((p) => cfg.layers!.has(p))) freeze(r, 'not in config.layers');
  }
  const active = roots.filter((r) => groups[r].frozen === null);
  for (const r of active) {
    const gr = groups[r];
    let target: number | undefined;
    for (const p of gr.producers) {
      const o = cfg.overrides.find((ov) => ov.re.test(p));
      if (o?.sparsity !== undefined) target = target === undefined ? o.sparsity : Math.min(target, o.sparsity);
    }
    gr.target = target ?? null;
  }

  // ---- scores ----
  const scores = await scoreGroups(model, layers, byName, groups, active, cfg);
  const keepCount = (size: number, sparsity: number): number => {
    let k = Math.max(1, size - roundHalfEven(sparsity * size));
    if (cfg.roundTo > 1) k = size <= cfg.roundTo ? size : Math.min(size, Math.max(cfg.roundTo, Math.round(k / cfg.roundTo) * cfg.roundTo));
    return k;
  };
  const topK = (s: Float64Array, k: number): number[] => {
    // Lowest scores go first; ties: lowest index first.
    const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b] || a - b);
    return order.slice(s.length - k).sort((a, b) => a - b);
  };
  const pooled: number[] = [];
  for (const r of active) {
    const gr = groups[r];
    if (cfg.scope === 'layer' || gr.target !== null) {
      const t = gr.target ?? cfg.sparsity;
      gr.target = t;
      const k = keepCount(gr.size, t);
      gr.keep = k === gr.size ? null : topK(scores.get(r)!, k);
    } else {
      pooled.push(r);
    }
  }
  if (pooled.length > 0) {
    const all: { r: number; u: number; s: number }[] = [];
    for (const r of pooled) scores.get(r)!.forEach((s, u) => all.push({ r, u, s }));
    all.sort((a, b) => a.s - b.s || a.r - b.r || a.u - b.u);
    let remove = roundHalfEven(cfg.sparsity * all.length);
    const left = new Map(pooled.map((r) => [r, groups[r].size]));
    for (const e of all) {
      if (remove === 0) break;
      if (left.get(e.r)! > 1) {
        left.set(e.r, left.get(e.r)! - 1);
        remove--;
      }
    }
    for (const r of pooled) {
      const gr = groups[r];
      gr.target = cfg.sparsity;
      let k = left.get(r)!;
      if (cfg.roundTo > 1) k = gr.size <= cfg.roundTo ? gr.size : Math.min(gr.size, Math.max(cfg.roundTo, Math.round(k / cfg.roundTo) * cfg.roundTo));
      gr.keep = k === gr.size ? null : topK(scores.get(r)!, k);
    }
  }

  // ---- new weights and config ----
  const specs: io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const v of model.weights as unknown as VarLike[]) {
    const layerName = v.originalName.slice(0, v.originalName.lastIndexOf('/'));
    const rule = slices.get(layerName)?.get(weightKey(v));
    const t = v.read();
    const data = (await t.data()) as Float32Array | Int32Array | Uint8Array;
    let shape = [...v.shape];
    let out: Float32Array | Int32Array | Uint8Array = data;
    if (rule !== undefined && v.dtype === 'float32') {
      const keeps = rule.map((f) => f());
      if (keeps.length !== shape.length) throw new ArgumentError(`${FNAME}: internal: weight '${v.originalName}' has rank ${shape.length}, expected ${keeps.length}`);
      if (keeps.some((k) => k !== null)) {
        const r = sliceAxes(data as Float32Array, shape, keeps);
        out = r.data;
        shape = r.shape;
      }
    }
    specs.push({ name: v.originalName, shape, dtype: v.dtype as 'float32' });
    buffers.push(new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice());
  }
  const topology = model.toJSON(null, false) as unknown as { config: { layers?: { class_name: string; config: Record<string, unknown> }[] } | { class_name: string; config: Record<string, unknown> }[] };
  const layerConfigs = Array.isArray(topology.config) ? topology.config : (topology.config.layers ?? []);
  for (const lc of layerConfigs) {
    const name = lc.config.name as string;
    // tfjs 4.22's SeparableConv2D.getConfig leaves depth_multiplier out, so a stock save + load
    // of one with depthMultiplier > 1 fails on a shape mismatch; the topology built from here keeps it.
    const live = byName.get(name);
    if (lc.class_name === 'SeparableConv2D' && lc.config.depth_multiplier === undefined && live !== undefined) lc.config.depth_multiplier = live.depthMultiplier;
    const g = producerGroup.get(name);
    if (g === undefined) continue;
    const keep = groups[find(g)].keep;
    if (keep === null) continue;
    if ('units' in lc.config) lc.config.units = keep.length;
    else lc.config.filters = keep.length;
  }
  const total = buffers.reduce((a, b) => a + b.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    weightData.set(b, off);
    off += b.length;
  }
  const pruned = await loadLayersModel(io.fromMemory({ modelTopology: topology as unknown as object, weightSpecs: specs, weightData: weightData.buffer }));

  // ---- report ----
  const after = new Map((pruned.layers as unknown as LayerLike[]).map((l) => [l.name, l]));
  const groupIndex = new Map<number, number>();
  const groupReports: StructuredGroupReport[] = [];
  for (const r of roots) {
    const gr = groups[r];
    groupIndex.set(r, groupReports.length);
    groupReports.push({
      layers: [...gr.producers],
      unitsBefore: gr.size,
      unitsAfter: gr.keep === null ? gr.size : gr.keep.length,
      target: gr.frozen === null ? gr.target : null,
      note: gr.frozen,
    });
  }
  const layerReports: StructuredLayerReport[] = [];
  const totals = { paramsBefore: 0, paramsAfter: 0, flopsBefore: 0, flopsAfter: 0, unitsBefore: 0, unitsAfter: 0 };
  for (const l of layers) {
    const a = after.get(l.name) as LayerLike;
    const b = cost(l);
    const c = cost(a);
    const g = producerGroup.get(l.name);
    const root = g === undefined ? undefined : find(g);
    const note = layerNotes.get(l.name) ?? (root !== undefined ? groups[root].frozen : null);
    layerReports.push({
      name: l.name,
      className: l.getClassName(),
      unitsBefore: b.units,
      unitsAfter: c.units,
      paramsBefore: b.params,
      paramsAfter: c.params,
      flopsBefore: b.flops,
      flopsAfter: c.flops,
      group: root === undefined ? null : (groupIndex.get(root) as number),
      note,
    });
    totals.paramsBefore += b.params;
    totals.paramsAfter += c.params;
    totals.flopsBefore += b.flops;
    totals.flopsAfter += c.flops;
    if (g !== undefined) {
      totals.unitsBefore += b.units ?? 0;
      totals.unitsAfter += c.units ?? 0;
    }
  }
  const report: StructuredReport = { sparsity: cfg.sparsity, scope: cfg.scope, importance: cfg.importance, roundTo: cfg.roundTo, layers: layerReports, groups: groupReports, totals };
  return { model: pruned, report };
}

const null0 = (): null => null;

/** Layers in an order where every layer comes after the layers that feed it. */
function topoOrder(layers: LayerLike[]): LayerLike[] {
  const producedBy = new Map<number, LayerLike>();
  for (const l of layers) for (const n of l.inboundNodes) for (const t of n.outputTensors) producedBy.set(t.id, l);
  const done = new Set<LayerLike>();
  const out: LayerLike[] = [];
  const visit = (l: LayerLike, depth: number) => {
    if (done.has(l) || depth > layers.length) return;
    for (const n of l.inboundNodes) {
      for (const t of n.inputTensors) {
        const p = producedBy.get(t.id);
        if (p !== undefined && p !== l) visit(p, depth + 1);
      }
    }
    if (!done.has(l)) {
      done.add(l);
      out.push(l);
    }
  };
  for (const l of layers) visit(l, 0);
  return out;
}

/** Copy of `data` (shape `shape`) keeping, on each axis with a list, only those indices. */
export function sliceAxes(data: Float32Array, shape: number[], keeps: (number[] | null)[]): { data: Float32Array; shape: number[] } {
  let cur = data;
  let curShape = [...shape];
  for (let axis = 0; axis < shape.length; axis++) {
    const keep = keeps[axis];
    if (keep === null) continue;
    const outer = curShape.slice(0, axis).reduce((a, b) => a * b, 1);
    const n = curShape[axis];
    const inner = curShape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const next = new Float32Array(outer * keep.length * inner);
    let o = 0;
    for (let i = 0; i < outer; i++) {
      const base = i * n * inner;
      for (const k of keep) {
        next.set(cur.subarray(base + k * inner, base + (k + 1) * inner), o);
        o += inner;
      }
    }
    cur = next;
    curShape[axis] = keep.length;
  }
  return { data: cur, shape: curShape };
}

/** Units, parameters and multiply-adds per example of one layer (from its weights and output shape). */
function cost(l: LayerLike): { units: number | null; params: number; flops: number } {
  const cls = l.getClassName();
  let params = 0;
  for (const v of l.weights) params += v.shape.reduce((a, b) => a * b, 1);
  let units: number | null = null;
  let flops = 0;
  if (PRODUCERS.has(cls) || cls === 'DepthwiseConv2D') {
    const shape = outShape(l);
    units = last(shape);
    const positions = shape.slice(1, -1).reduce((a: number, b) => a * ((b as number) ?? 1), 1);
    for (const v of l.weights) {
      const k = weightKey(v);
      if (k === 'kernel' || k === 'depthwise_kernel' || k === 'pointwise_kernel') flops += positions * v.shape.reduce((a, b) => a * b, 1);
    }
  }
  return { units, params, flops };
}

/** Per-unit scores for every active group (sum over the group's producers). */
async function scoreGroups(
  model: LayersModel,
  layers: LayerLike[],
  byName: Map<string, LayerLike>,
  groups: Group[],
  active: number[],
  cfg: Normalized,
): Promise<Map<number, Float64Array>> {
  const out = new Map<number, Float64Array>();
  for (const r of active) out.set(r, new Float64Array(groups[r].size));
  if (active.length === 0) return out;
  if (cfg.importance === 'activation') {
    const producers = active.flatMap((r) => groups[r].producers.map((p) => ({ r, l: byName.get(p) as LayerLike })));
    const probe = functionalModel({ inputs: model.inputs, outputs: producers.map((p) => p.l.output as never) });
    const x = cfg.calibration as Tensor[];
    if (x.length !== model.inputs.length) throw new ArgumentError(`${FNAME}: calibration has ${x.length} tensor(s), the model has ${model.inputs.length} input(s)`);
    let means: Float32Array[];
    try {
      const ys = tidy(() => {
        const y = probe.predict(x.length === 1 ? x[0] : x);
        const list = Array.isArray(y) ? y : [y];
        return list.map((t) => {
          const axes = Array.from({ length: t.rank - 1 }, (_, i) => i);
          return t.abs().mean(axes);
        });
      });
      means = (await Promise.all(ys.map((t) => t.data()))) as Float32Array[];
      for (const t of ys) t.dispose();
    } catch (e) {
      if (e instanceof ArgumentError) throw e;
      throw new ArgumentError(`${FNAME}: the calibration batch does not fit the model's inputs: ${(e as Error).message}`);
    }
    producers.forEach((p, i) => {
      const s = out.get(p.r)!;
      means[i].forEach((v, u) => (s[u] += v));
    });
    void layers;
    return out;
  }
  for (const r of active) {
    const s = out.get(r)!;
    for (const p of groups[r].producers) {
      const l = byName.get(p) as LayerLike;
      const v = l.weights.find((w) => weightKey(w) === (l.getClassName() === 'SeparableConv2D' ? 'pointwise_kernel' : 'kernel')) as VarLike;
      const data = (await v.read().data()) as Float32Array;
      const cols = last(v.shape);
      const rows = data.length / cols;
      const norms = columnNorms(data, { columns: cols, norm: cfg.importance === 'l2' ? 'l2' : 'l1' });
      const scale = cfg.scope === 'global' ? (cfg.importance === 'l2' ? Math.sqrt(rows) : rows) : 1;
      for (let u = 0; u < cols; u++) s[u] += norms[u] / scale;
    }
  }
  return out;
}
