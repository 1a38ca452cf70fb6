// The part of a live tf.LayersModel that structured pruning reads (tfjs-layers internals that are
// stable across 4.x), and small helpers over it.
import type { Tensor } from '@tensorflow/tfjs-core';

export const FNAME = 'pruneStructured';

export interface SymTensor {
  id: number;
  shape: (number | null)[];
}
export interface NodeLike {
  inputTensors: SymTensor[];
  outputTensors: SymTensor[];
}
export interface VarLike {
  originalName: string;
  shape: number[];
  dtype: string;
  read(): Tensor;
}
export interface LayerLike {
  name: string;
  getClassName(): string;
  inboundNodes: NodeLike[];
  weights: VarLike[];
  outputShape: (number | null)[] | (number | null)[][];
  output: SymTensor | SymTensor[];
  getConfig(): Record<string, unknown>;
  [key: string]: unknown;
}

/** Layer classes whose units (Dense) or filters (convolutions) are removed: each starts a group. */
export const PRODUCERS = new Set(['Dense', 'Conv1D', 'Conv2D', 'SeparableConv2D']);

export const last = (shape: readonly (number | null)[]): number => shape[shape.length - 1] as number;
export const channelsLast = (l: LayerLike): boolean => l.dataFormat === undefined || l.dataFormat === 'channelsLast';
export const activationOf = (l: LayerLike): string | null => {
  const a = l.getConfig().activation;
  return typeof a === 'string' ? a : null;
};
export const outShape = (l: LayerLike): (number | null)[] => {
  const s = l.outputShape;
  return (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
};
export const weightKey = (v: VarLike): string => v.originalName.slice(v.originalName.lastIndexOf('/') + 1);

/** Layers in an order where every layer comes after the layers that feed it. */
export function topoOrder(layers: LayerLike[]): LayerLike[] {
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

/** Units, parameters and multiply-adds per example of one layer (from its weights and output shape). */
export function cost(l: LayerLike): { units: number | null; params: number; flops: number } {
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
