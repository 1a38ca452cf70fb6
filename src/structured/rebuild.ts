// Steps 4 and 5 of pruneStructured: slice every weight by the kept units of the groups it depends
// on, and rebuild the model with stock tfjs from the original's JSON config (smaller `units` /
// `filters`) and the sliced weights.
import { io } from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import type { GroupPlan } from './plan.js';
import { FNAME, weightKey, type LayerLike, type VarLike } from './surface.js';

type LayerConfigJSON = { class_name: string; config: Record<string, unknown> };
type TopologyJSON = { config: { layers?: LayerConfigJSON[] } | LayerConfigJSON[] };

/** The model's weights, each sliced by its plan (float32 only), as manifest entries and bytes. */
export async function sliceWeights(model: LayersModel, plan: GroupPlan): Promise<{ specs: io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  const specs: io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const v of model.weights as unknown as VarLike[]) {
    const layerName = v.originalName.slice(0, v.originalName.lastIndexOf('/'));
    const rule = plan.slices.get(layerName)?.get(weightKey(v));
    const data = (await v.read().data()) as Float32Array | Int32Array | Uint8Array;
    let shape = [...v.shape];
    let out: Float32Array | Int32Array | Uint8Array = data;
    if (rule !== undefined && v.dtype === 'float32') {
      const keeps = rule.map((f) => f());
      if (keeps.length !== shape.length) throw new ArgumentError(`${FNAME}: internal: weight '${v.originalName}' has rank ${shape.length}, expected ${keeps.length}`);
      if (keeps.some((k) => k !== null)) ({ data: out, shape } = sliceAxes(data as Float32Array, shape, keeps));
    }
    specs.push({ name: v.originalName, shape, dtype: v.dtype as 'float32' });
    buffers.push(new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice());
  }
  const weightData = new Uint8Array(buffers.reduce((a, b) => a + b.length, 0));
  let off = 0;
  for (const b of buffers) {
    weightData.set(b, off);
    off += b.length;
  }
  return { specs, weightData: weightData.buffer };
}

/** The new model: the original's topology with each pruned producer's units/filters reduced. */
export async function rebuildModel(model: LayersModel, byName: Map<string, LayerLike>, plan: GroupPlan, specs: io.WeightsManifestEntry[], weightData: ArrayBuffer): Promise<LayersModel> {
  const topology = model.toJSON(null, false) as unknown as TopologyJSON;
  const layerConfigs = Array.isArray(topology.config) ? topology.config : (topology.config.layers ?? []);
  for (const lc of layerConfigs) {
    const name = lc.config.name as string;
    // tfjs 4.22's SeparableConv2D.getConfig leaves depth_multiplier out, so a stock save + load
    // of one with depthMultiplier > 1 fails on a shape mismatch; the topology built from here keeps it.
    const live = byName.get(name);
    if (lc.class_name === 'SeparableConv2D' && lc.config.depth_multiplier === undefined && live !== undefined) lc.config.depth_multiplier = live.depthMultiplier;
    const g = plan.producerGroup.get(name);
    if (g === undefined) continue;
    const keep = plan.channels.group(g).keep;
    if (keep === null) continue;
    if ('units' in lc.config) lc.config.units = keep.length;
    else lc.config.filters = keep.length;
  }
  return loadLayersModel(io.fromMemory({ modelTopology: topology as unknown as object, weightSpecs: specs, weightData }));
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
