// Step 1 of pruneStructured: walk the model's graph in order and plan the groups: which producer
// starts which group, which groups merges join, which are frozen (and why), and for every weight
// how it will be sliced once the groups' kept units are known.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { Channels, fixedState, type State } from './channels.js';
import { activationOf, channelsLast, last, outShape, PRODUCERS, topoOrder, weightKey, type LayerLike, type NodeLike, type SymTensor } from './surface.js';

/** How one weight of a layer is sliced: kept indices per axis (null: axis untouched). */
export type Slice = (() => number[] | null)[];

export interface GroupPlan {
  channels: Channels;
  /** Per layer, per weight key: how the weight is sliced. */
  slices: Map<string, Map<string, Slice>>;
  /** The group each producer layer starts. */
  producerGroup: Map<string, number>;
  /** Why a layer was left alone, where that matters. */
  layerNotes: Map<string, string>;
  /** Producer-class layers that cannot be pruned, and why. */
  unhandled: Map<string, string>;
}

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
const null0 = (): null => null;

/** Walks `layers` in topological order and returns the plan; model outputs and softmax groups are frozen. */
export function planGroups(model: LayersModel, layers: LayerLike[]): GroupPlan {
  const walk = new Walk();
  for (const t of model.inputs as unknown as SymTensor[]) walk.states.set(t.id, fixedState(t.shape));
  for (const layer of topoOrder(layers)) walk.layer(layer);
  const { channels } = walk;
  for (const t of model.outputs as unknown as SymTensor[]) channels.freezeState(walk.stateOf(t), 'model output');
  for (const g of walk.softmaxGroups) channels.freeze(g, 'softmax activation (removing a unit changes the others)');
  return { channels, slices: walk.slices, producerGroup: walk.producerGroup, layerNotes: walk.layerNotes, unhandled: walk.unhandled };
}

/** One layer at a time: the channel state of every tensor so far, and the plan being built. */
class Walk {
  readonly channels = new Channels();
  readonly states = new Map<number, State>();
  readonly slices = new Map<string, Map<string, Slice>>();
  readonly producerGroup = new Map<string, number>();
  readonly layerNotes = new Map<string, string>();
  readonly unhandled = new Map<string, string>();
  readonly softmaxGroups: number[] = [];

  stateOf(t: SymTensor): State {
    return this.states.get(t.id) ?? fixedState(t.shape);
  }

  private setOut(node: NodeLike, s: State): void {
    for (const t of node.outputTensors) this.states.set(t.id, s);
  }

  /** A layer we cannot see through: its inputs' groups are frozen, its outputs are fixed channels. */
  private opaque(layer: LayerLike, why: string, note: string): void {
    const cls = layer.getClassName();
    let froze = false;
    for (const n of layer.inboundNodes) {
      for (const t of n.inputTensors) {
        const st = this.stateOf(t);
        froze ||= st.segs.some((seg) => seg.g >= 0);
        this.channels.freezeState(st, why);
      }
      for (const t of n.outputTensors) this.states.set(t.id, fixedState(t.shape));
    }
    // Noted where it matters: the layer stopped a prunable channel, or is itself a producer.
    const producer = PRODUCERS.has(cls) || cls === 'DepthwiseConv2D';
    if (froze || producer) this.layerNotes.set(layer.name, note);
    if (producer) this.unhandled.set(layer.name, note);
  }

  layer(layer: LayerLike): void {
    const cls = layer.getClassName();
    const nodes = layer.inboundNodes;
    if (nodes.length !== 1) {
      this.opaque(layer, `feeds ${cls} '${layer.name}', a layer shared by ${nodes.length} calls`, `shared by ${nodes.length} calls: left alone`);
      return;
    }
    const node = nodes[0];
    const ins = node.inputTensors.map((t) => this.stateOf(t));
    if (ins.length === 0 || cls === 'InputLayer') return this.setOut(node, fixedState(node.outputTensors[0].shape));
    const cannot = `feeds ${cls} '${layer.name}', whose input slicing is unknown`;
    if (PRODUCERS.has(cls) || cls === 'DepthwiseConv2D') return this.producer(layer, node, ins, cannot);
    if (cls === 'BatchNormalization') return this.batchNorm(layer, node, ins[0], cannot);
    if (PASS_ALWAYS.has(cls)) {
      if (cls === 'Activation' && activationOf(layer) === 'softmax') return this.opaque(layer, 'feeds a softmax (removing a unit changes the others)', 'softmax over the channels');
      return this.setOut(node, ins[0]);
    }
    if (PASS_SPATIAL.has(cls)) {
      if (!channelsLast(layer) || ins[0].spatial !== 1) return this.opaque(layer, cannot, 'channels-first: left alone');
      return this.setOut(node, ins[0]);
    }
    if (cls === 'Flatten') return this.flatten(layer, node, ins[0], cannot);
    if (MERGES.has(cls) || cls === 'Concatenate') return this.merge(layer, node, ins, cannot);
    this.opaque(layer, cannot, `${cls}: input slicing unknown, left alone`);
  }

  private producer(layer: LayerLike, node: NodeLike, ins: State[], cannot: string): void {
    const cls = layer.getClassName();
    const inS = ins[0];
    if (ins.length !== 1 || !channelsLast(layer) || (cls !== 'Dense' && inS.spatial !== 1)) {
      return this.opaque(layer, cannot, cls === 'Dense' ? 'input not understood: left alone' : 'channels-first or unusual input: left alone');
    }
    const { channels } = this;
    const inKeep = () => channels.kept(inS);
    const s = new Map<string, Slice>();
    this.slices.set(layer.name, s);
    if (cls === 'DepthwiseConv2D') {
      const out = multiplied(inS, layer.depthMultiplier as number);
      s.set('depthwise_kernel', [null0, null0, inKeep, null0]);
      s.set('bias', [() => channels.kept(out)]);
      return this.setOut(node, out);
    }
    const units = last(outShape(layer));
    const g = channels.newGroup(units, layer.name);
    this.producerGroup.set(layer.name, g);
    const outKeep = () => channels.group(g).keep;
    if (cls === 'Dense') {
      s.set('kernel', [inKeep, outKeep]);
    } else if (cls === 'SeparableConv2D') {
      const mid = multiplied(inS, layer.depthMultiplier as number);
      s.set('depthwise_kernel', [null0, null0, inKeep, null0]);
      s.set('pointwise_kernel', [null0, null0, () => channels.kept(mid), outKeep]);
    } else {
      const rank = cls === 'Conv1D' ? 3 : 4;
      s.set('kernel', [...Array.from({ length: rank - 2 }, () => null0), inKeep, outKeep]);
    }
    s.set('bias', [outKeep]);
    if (activationOf(layer) === 'softmax') this.softmaxGroups.push(g);
    this.setOut(node, { segs: [{ g, size: units, mult: 1 }], spatial: 1 });
  }

  private batchNorm(layer: LayerLike, node: NodeLike, inS: State, cannot: string): void {
    const axis = layer.axis as number;
    const rank = node.inputTensors[0].shape.length;
    if (inS.spatial !== 1 || (axis !== -1 && axis !== rank - 1)) return this.opaque(layer, cannot, 'normalizes an axis other than the last: left alone');
    const k = () => this.channels.kept(inS);
    this.slices.set(layer.name, new Map(layer.weights.map((v) => [weightKey(v), [k]])));
    this.setOut(node, inS);
  }

  private flatten(layer: LayerLike, node: NodeLike, inS: State, cannot: string): void {
    const shape = node.inputTensors[0].shape;
    if (shape.length <= 2) return this.setOut(node, inS);
    if (!channelsLast(layer) || inS.spatial !== 1) return this.opaque(layer, cannot, 'channels-first flatten: left alone');
    const spatial = shape.slice(1, -1).reduce((a: number, b) => a * (b as number), 1);
    this.setOut(node, { segs: inS.segs, spatial });
  }

  private merge(layer: LayerLike, node: NodeLike, ins: State[], cannot: string): void {
    const cls = layer.getClassName();
    if (ins.some((s) => s.spatial !== 1)) return this.opaque(layer, cannot, 'flattened inputs: left alone');
    const axis = layer.axis as number;
    if (cls === 'Concatenate' && (axis === -1 || axis === node.inputTensors[0].shape.length - 1)) {
      return this.setOut(node, { segs: ins.flatMap((s) => s.segs), spatial: 1 });
    }
    // Inputs must agree channel for channel: join their groups segment by segment.
    const first = ins[0].segs;
    const aligned = ins.every((s) => s.segs.length === first.length && s.segs.every((seg, i) => seg.size === first[i].size && seg.mult === first[i].mult));
    if (!aligned) return this.opaque(layer, `meets other channels at ${cls} '${layer.name}' in a layout that cannot be matched`, 'inputs with different channel layouts: left alone');
    for (let i = 0; i < first.length; i++) {
      const gs = ins.map((s) => s.segs[i].g);
      if (gs.some((g) => g < 0)) {
        for (const g of gs) if (g >= 0) this.channels.freeze(g, `meets fixed channels (e.g. a model input) at ${cls} '${layer.name}'`);
      } else {
        for (const g of gs.slice(1)) this.channels.union(gs[0], g);
      }
    }
    this.setOut(node, ins[0]);
  }
}

/** The channels after a depthwise step with depth multiplier m. */
const multiplied = (s: State, m: number): State => ({ segs: s.segs.map((seg) => ({ ...seg, mult: seg.mult * m })), spatial: 1 });
