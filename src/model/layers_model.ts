// pruneModel: prunes a live tf.LayersModel's weights in place (through its variables), with the
// same rules and report as pruneArtifacts. All values are computed before the first variable is
// written, so an error leaves the model as it was.
import { tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { wasmInfo } from '../wasm/index.js';
import { encode, VALUE_BYTES } from '../format/index.js';
import { normalizeConfig } from './config.js';
import { runPlan, type Access } from './engine.js';
import { buildReport, GzipCounter } from './report.js';
import { classify, layerIndexOf } from './select.js';
import type { ModelPruneReport, PruneConfig, PruneModelOptions, SizeReport } from './types.js';

const FNAME = 'pruneModel';

/**
 * Prunes a live tf.LayersModel in place and returns the report. Optimizer state is untouched.
 * Requires `await init()` from 'tfjs-prune'.
 */
export async function pruneModel(model: LayersModel, config: PruneConfig, options: PruneModelOptions = {}): Promise<ModelPruneReport> {
  if (model === null || typeof model !== 'object' || !Array.isArray((model as { weights?: unknown }).weights) || !Array.isArray(model.layers)) {
    throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
  }
  const cfg = normalizeConfig(FNAME, config, false);
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be an object`);
  for (const key of Object.keys(options)) if (key !== 'gzip') throw new ArgumentError(`${FNAME}: unknown option '${key}' (known: gzip)`);
  const gzip = options.gzip ?? true;
  wasmInfo();

  const index = layerIndexOf(model);

  const vars = model.weights;
  const tensors = vars.map((v) => ({ name: v.originalName, shape: [...v.shape] as number[], dtype: v.dtype as string, size: (v.shape as number[]).reduce((a, b) => a * b, 1) }));
  const values = (await Promise.all(vars.map((v) => v.read().data()))) as unknown as Values[];
  const roles = classify(tensors, null, index);
  const before = sizes(tensors, values, gzip);
  const changed = new Set<number>();
  const access: Access = {
    read: (i) => values[i] as Float32Array,
    // A copy: data() may hand out the backend's own storage (the cpu backend does), which
    // clones and getWeights() results share; writing into it would change them too.
    writable: (i) => (values[i] = (values[i] as Float32Array).slice()),
    store(i, v) {
      if (v !== null) changed.add(i);
      return { dtype: tensors[i].dtype, zeros: null };
    },
    otherZeros(i) {
      let z = 0;
      const a = values[i];
      for (let j = 0; j < a.length; j++) if (a[j] === 0) z++;
      return z;
    },
    where: (i, element) => ({ tensor: tensors[i].name, byteOffset: element * 4 }),
  };
  const reports = runPlan(FNAME, tensors, roles, cfg, access, false);
  for (const i of changed) {
    const t = tensor(values[i] as Float32Array, tensors[i].shape, 'float32');
    vars[i].write(t);
    t.dispose();
  }
  const after = sizes(tensors, values, gzip);
  const quantized = { dtype: 'uint8' as const, ...quantizedSizes(tensors, values, gzip) };
  return buildReport('layers-model', cfg.scope, cfg.method, cfg.sparsity, reports, { before, after, quantized });
}

type Values = Float32Array | Int32Array | Uint8Array;

// Bytes as model.save() would write them: each variable's values, little-endian, in order.
function sizes(tensors: { dtype: string; size: number }[], values: Values[], gzip: boolean): SizeReport {
  let raw = 0;
  const g = gzip ? new GzipCounter() : null;
  tensors.forEach((t, i) => {
    raw += t.size * (VALUE_BYTES[t.dtype] ?? 4);
    const v = values[i];
    if (g !== null) g.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  });
  return g === null ? { raw, gzip: null } : { raw, gzip: g.finish().gzip };
}

function quantizedSizes(tensors: { dtype: string; size: number }[], values: Values[], gzip: boolean): SizeReport {
  let raw = 0;
  const g = gzip ? new GzipCounter() : null;
  tensors.forEach((t, i) => {
    const v = values[i];
    if (t.dtype === 'float32') {
      raw += t.size;
      if (g !== null) g.push(encode(v as Float32Array, 'uint8').bytes);
    } else {
      raw += t.size * (VALUE_BYTES[t.dtype] ?? 4);
      if (g !== null) g.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  });
  return g === null ? { raw, gzip: null } : { raw, gzip: g.finish().gzip };
}
