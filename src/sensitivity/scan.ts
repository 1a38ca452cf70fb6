// sensitivityScan (sensitivity.ts has its types, the proposal and the public entry point, which
// imports this module on the first scan).
//
// Which tensors make up a layer, and how a layer is pruned, is the model-level engine's: the
// selection rule and config of pruneModel (select.ts, config.ts) and runPlan (engine.ts).
import { tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { wasmInfo } from '../wasm/index.js';
import { decide, normalizeConfig } from '../model/config.js';
import { runPlan, type Access, type EngineTensor } from '../model/engine.js';
import { classify, layerIndexOf, type LayerIndex, type TensorRole } from '../model/select.js';
import {
  DEFAULT_SCAN_SPARSITIES,
  type EvaluateFn,
  type SensitivityLayer,
  type SensitivityScan,
  type SensitivityScanOptions,
} from './propose.js';
import { pruneStructured } from '../structured/prune.js';

const SCAN = 'sensitivityScan';

interface VariableLike {
  readonly originalName: string;
  readonly shape: number[];
  readonly dtype: string;
  read(): { data(): Promise<unknown> };
  write(t: unknown): unknown;
}

const SELECTION_KEYS = ['include', 'exclude', 'includeClasses', 'excludeClasses', 'skipFirst', 'skipLast'] as const;
const SCAN_KEYS = new Set(['sparsities', 'layers', 'method', 'metric', 'onProgress', 'structured', ...SELECTION_KEYS]);

/**
 * Prunes one layer at a time at each sparsity, calls `evaluate(model)` on the model so pruned,
 * and puts the layer's weights back bit for bit before the next trial (also when evaluate
 * throws). The model is the caller's: it is modified during the scan and restored after each
 * trial. With method 'structured', evaluate gets the smaller model pruneStructured built (disposed
 * after the call) and the caller's model is never written. Requires `await init()` from 'tfjs-prune'.
 */
export async function sensitivityScan(model: LayersModel, evaluate: EvaluateFn, options: SensitivityScanOptions = {}): Promise<SensitivityScan> {
  if (model === null || typeof model !== 'object' || !Array.isArray((model as { weights?: unknown }).weights) || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ArgumentError(`${SCAN}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
  }
  if (typeof evaluate !== 'function') throw new ArgumentError(`${SCAN}: evaluate must be a function (model) => number | Promise<number>, got ${typeof evaluate}`);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentError(`${SCAN}: options must be an object`);
  for (const key of Object.keys(options)) if (!SCAN_KEYS.has(key)) throw new ArgumentError(`${SCAN}: unknown option '${key}' (known: ${[...SCAN_KEYS].join(', ')})`);
  const sparsities = checkSparsities(options.sparsities);
  const method = options.method ?? 'magnitude';
  if (method !== 'magnitude' && method !== 'structured') throw new ArgumentError(`${SCAN}: method must be 'magnitude' or 'structured', got ${JSON.stringify(method)}`);
  const metric = options.metric ?? 'metric';
  if (typeof metric !== 'string') throw new ArgumentError(`${SCAN}: metric must be a string (the metric's name), got ${typeof metric}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ArgumentError(`${SCAN}: onProgress must be a function`);
  if (options.layers !== undefined && !Array.isArray(options.layers)) throw new ArgumentError(`${SCAN}: layers must be an array of layer names, got ${typeof options.layers}`);
  if (method === 'structured') {
    const sel = SELECTION_KEYS.find((k) => options[k] !== undefined);
    if (sel !== undefined) throw new ArgumentError(`${SCAN}: ${sel} selects tensors for magnitude pruning; with method 'structured' use layers, or structured.exclude`);
    return scanStructured(model, evaluate, options, sparsities, metric);
  }
  if (options.structured !== undefined) throw new ArgumentError(`${SCAN}: structured options apply to method 'structured'`);
  wasmInfo();

  const { vars, tensors, roles, index } = liveTensors(model);
  const { include, exclude, includeClasses, excludeClasses, skipFirst, skipLast } = options;
  const cfg = normalizeConfig(SCAN, { sparsity: 0, include, exclude, includeClasses, excludeClasses, skipFirst, skipLast }, false);
  const decisions = decide(SCAN, tensors, roles, cfg);
  const groups = new Map<string, number[]>();
  tensors.forEach((t, i) => {
    if (!decisions[i].prune) return;
    const key = roles[i].layer ?? t.name;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  let names: string[];
  if (options.layers === undefined) names = [...groups.keys()];
  else {
    names = checkNames(options.layers, index);
    names.forEach((name) => {
      if (groups.has(name)) return;
      const why = tensors.flatMap((t, j) => (roles[j].layer === name ? [`${t.name}: ${decisions[j].reason}`] : []));
      throw new ArgumentError(`${SCAN}: layer '${name}' (${index.get(name)}) has no tensor selected for pruning${why.length > 0 ? ` (${why.join('; ')})` : ' (it has no weights)'}`);
    });
  }
  if (names.length === 0) throw new ArgumentError(`${SCAN}: no layer of the model is selected for pruning`);

  const baseline = await measure(evaluate, model, 'the model as given');
  const total = names.length * sparsities.length;
  let done = 0;
  const layers: SensitivityLayer[] = [];
  for (const name of names) {
    const members = groups.get(name) as number[];
    const sub: EngineTensor[] = members.map((i) => tensors[i]);
    const subRoles: TensorRole[] = members.map((i) => ({ ...roles[i], prunable: true }));
    const original = (await Promise.all(members.map((i) => vars[i].read().data()))) as Float32Array[];
    const write = (j: number, values: Float32Array) => {
      const t = tensor(values, sub[j].shape, 'float32');
      try {
        vars[members[j]].write(t);
      } finally {
        t.dispose();
      }
    };
    const access: Access = {
      read: (j) => original[j],
      writable: (j) => original[j].slice(),
      store(j, values) {
        if (values !== null) write(j, values);
        return { dtype: 'float32', zeros: null };
      },
      otherZeros: () => 0,
      where: (j, element) => ({ tensor: sub[j].name, byteOffset: element * 4 }),
    };
    const metrics: number[] = [];
    let dirty = false;
    try {
      for (const s of sparsities) {
        dirty = true;
        runPlan(SCAN, sub, subRoles, normalizeConfig(SCAN, { sparsity: s }, false), access, true);
        const m = await measure(evaluate, model, `layer '${name}' pruned to sparsity ${s}`);
        original.forEach((v, j) => write(j, v));
        dirty = false;
        metrics.push(m);
        done++;
        options.onProgress?.({ done, total, layer: name, sparsity: s, metric: m });
      }
    } finally {
      if (dirty) original.forEach((v, j) => write(j, v));
    }
    const className = index.get(name) ?? roles[members[0]].layerClass ?? 'unknown';
    layers.push({ name, className, params: sub.reduce((a, t) => a + t.size, 0), tensors: sub.map((t) => ({ name: t.name, params: t.size })), metrics });
  }
  return { method, metric, baseline, sparsities, layers, evaluations: 1 + total };
}

/** Checks `layers`: strings, no duplicates, each a layer of the model. */
function checkNames(layers: unknown[], index: LayerIndex): string[] {
  const seen = new Set<string>();
  layers.forEach((name, i) => {
    if (typeof name !== 'string') throw new ArgumentError(`${SCAN}: layers[${i}] must be a string, got ${typeof name}`);
    if (seen.has(name)) throw new ArgumentError(`${SCAN}: layer '${name}' is listed twice`);
    seen.add(name);
    if (!index.has(name)) {
      const known = [...index.keys()];
      throw new ArgumentError(`${SCAN}: unknown layer '${name}' (the model's layers: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})`);
    }
  });
  return layers as string[];
}

/**
 * The structured scan: every group pruneStructured can prune (named by its first producer, or by
 * the layer asked for), at each sparsity pruneStructured(model, { sparsity, layers: [name] }) and
 * evaluate on the new model, disposed after. The caller's model is only read.
 */
async function scanStructured(model: LayersModel, evaluate: EvaluateFn, options: SensitivityScanOptions, sparsities: number[], metric: string): Promise<SensitivityScan> {
  const extra = options.structured ?? {};
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new ArgumentError(`${SCAN}: structured must be an object { importance?, calibration?, roundTo?, exclude? }`);
  for (const key of Object.keys(extra)) {
    if (!['importance', 'calibration', 'roundTo', 'exclude'].includes(key)) throw new ArgumentError(`${SCAN}: unknown field '${key}' in structured (known: importance, calibration, roundTo, exclude)`);
  }
  const { index, vars } = liveTensors(model);
  const probe = await pruneStructured(model, { ...extra, sparsity: 0 });
  probe.model.dispose();
  const rep = probe.report;
  const layerReport = new Map(rep.layers.map((l) => [l.name, l]));
  const groupOf = (name: string) => rep.groups.findIndex((g) => g.layers.includes(name));
  const chosen: { name: string; group: number }[] = [];
  if (options.layers === undefined) {
    rep.groups.forEach((g, i) => {
      if (g.note === null && g.unitsBefore > 1) chosen.push({ name: g.layers[0], group: i });
    });
  } else {
    for (const name of checkNames(options.layers, index)) {
      const gi = groupOf(name);
      const cls = index.get(name);
      const g = rep.groups[gi];
      if (gi < 0) throw new ArgumentError(`${SCAN}: layer '${name}' (${cls}) cannot be structurally pruned: ${layerReport.get(name)?.note ?? 'only Dense, Conv1D, Conv2D and SeparableConv2D units are removed'}`);
      if (g.note !== null) throw new ArgumentError(`${SCAN}: layer '${name}' (${cls}) cannot be structurally pruned: ${g.note}`);
      if (g.unitsBefore < 2) throw new ArgumentError(`${SCAN}: layer '${name}' (${cls}) has one unit, which is never removed`);
      const other = chosen.find((c) => c.group === gi);
      if (other) throw new ArgumentError(`${SCAN}: layers '${other.name}' and '${name}' are pruned together (one group: ${g.layers.join(', ')}); list one of them`);
      chosen.push({ name, group: gi });
    }
  }
  if (chosen.length === 0) throw new ArgumentError(`${SCAN}: no layer of the model can be structurally pruned`);

  const baseline = await measure(evaluate, model, 'the model as given');
  const total = chosen.length * sparsities.length;
  let done = 0;
  const layers: SensitivityLayer[] = [];
  for (const { name, group } of chosen) {
    const g = rep.groups[group];
    const metrics: number[] = [];
    const unitsRemoved: number[] = [];
    const paramsRemoved: number[] = [];
    for (const s of sparsities) {
      const r = await pruneStructured(model, { ...extra, sparsity: s, layers: [name] });
      let m: number;
      try {
        m = await measure(evaluate, r.model, `layer '${name}' with ${s} of its units removed`);
      } finally {
        r.model.dispose();
      }
      const after = r.report.groups.find((x) => x.layers.includes(name));
      unitsRemoved.push(g.unitsBefore - (after?.unitsAfter ?? g.unitsBefore));
      paramsRemoved.push(r.report.totals.paramsBefore - r.report.totals.paramsAfter);
      metrics.push(m);
      done++;
      options.onProgress?.({ done, total, layer: name, sparsity: s, metric: m });
    }
    // The group's own weights (kernels and biases of its producers): what its sparsity weighs.
    const tensors = vars.filter((v) => g.layers.some((p) => v.originalName.startsWith(`${p}/`))).map((v) => ({ name: v.originalName, params: v.shape.reduce((a, b) => a * b, 1) }));
    layers.push({
      name,
      className: index.get(name) ?? 'unknown',
      params: tensors.reduce((a, t) => a + t.params, 0),
      tensors,
      metrics,
      group: [...g.layers],
      units: g.unitsBefore,
      unitsRemoved,
      paramsRemoved,
    });
  }
  return { method: 'structured', metric, baseline, sparsities, layers, evaluations: 1 + total };
}

function liveTensors(model: LayersModel): { vars: VariableLike[]; tensors: EngineTensor[]; roles: TensorRole[]; index: LayerIndex } {
  const index = layerIndexOf(model);
  const vars = model.weights as unknown as VariableLike[];
  const tensors = vars.map((v) => ({ name: v.originalName, shape: [...v.shape], dtype: v.dtype, size: v.shape.reduce((a, b) => a * b, 1) }));
  return { vars, tensors, roles: classify(tensors, null, index), index };
}

async function measure(evaluate: EvaluateFn, model: LayersModel, what: string): Promise<number> {
  const m = await evaluate(model);
  if (typeof m !== 'number' || !Number.isFinite(m)) {
    throw new ArgumentError(`${SCAN}: evaluate must return a finite number (higher is better), got ${typeof m === 'number' ? String(m) : typeof m} for ${what}`);
  }
  return m;
}

function checkSparsities(v: unknown): number[] {
  if (v === undefined) return [...DEFAULT_SCAN_SPARSITIES];
  if (!Array.isArray(v) || v.length === 0) throw new ArgumentError(`${SCAN}: sparsities must be a non-empty array of numbers in (0, 1], got ${Array.isArray(v) ? '[]' : typeof v}`);
  v.forEach((s, i) => {
    if (typeof s !== 'number' || !(s > 0 && s <= 1)) throw new ArgumentError(`${SCAN}: sparsities[${i}] must be a number in (0, 1] (0 is the baseline, always measured), got ${String(s)}`);
  });
  const sorted = [...(v as number[])].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) throw new ArgumentError(`${SCAN}: sparsity ${sorted[i]} is listed twice in sparsities`);
  return sorted;
}

