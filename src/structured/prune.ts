// pruneStructured: deletes whole Dense units and Conv filters and every slice that depends on them,
// and returns a new, physically smaller tf.LayersModel built by stock tfjs from the original's JSON
// config (with smaller `units` / `filters`) and the sliced weights. The input model is not touched.
// Five steps, one module each: plan the groups (plan.ts: channels.ts explains how channels are
// tracked), choose the groups to prune and score them, choose the kept units (choose.ts), slice the
// weights and rebuild the model (rebuild.ts), report (here).
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { activeGroups, chooseKeeps, scoreGroups } from './choose.js';
import { normalize, type Normalized } from './config.js';
import { planGroups, type GroupPlan } from './plan.js';
import { rebuildModel, sliceWeights } from './rebuild.js';
import { cost, FNAME, type LayerLike } from './surface.js';
import type { StructuredConfig, StructuredGroupReport, StructuredLayerReport, StructuredReport } from './types.js';

/** pruneStructured (index.ts is the public entry point, which imports this module on its first call). */
export async function pruneStructured(model: LayersModel, config: StructuredConfig): Promise<{ model: LayersModel; report: StructuredReport }> {
  if (model === null || typeof model !== 'object' || !Array.isArray((model as { layers?: unknown }).layers) || typeof (model as { toJSON?: unknown }).toJSON !== 'function') {
    throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
  }
  const cfg = normalize(config);
  const layers = model.layers as unknown as LayerLike[];
  const byName = new Map(layers.map((l) => [l.name, l]));
  checkNames(cfg, layers, byName);
  const plan = planGroups(model, layers);
  const { roots, active } = activeGroups(plan, byName, cfg);
  const scores = await scoreGroups(model, byName, plan.channels, active, cfg);
  chooseKeeps(plan.channels, active, scores, cfg);
  const { specs, weightData } = await sliceWeights(model, plan);
  const pruned = await rebuildModel(model, byName, plan, specs, weightData);
  return { model: pruned, report: reportOf(cfg, layers, pruned, plan, roots) };
}

/** Every layer the config names exists, and every override pattern matches a layer. */
function checkNames(cfg: Normalized, layers: LayerLike[], byName: Map<string, LayerLike>): void {
  for (const [field, set] of [['layers', cfg.layers ?? new Set<string>()], ['exclude', cfg.exclude]] as const) {
    for (const n of set) if (!byName.has(n)) throw new ArgumentError(`${FNAME}: ${field} names layer '${n}', which the model does not have (layers: ${[...byName.keys()].join(', ')})`);
  }
  cfg.overrides.forEach((o, i) => {
    if (!layers.some((l) => o.re.test(l.name))) throw new ArgumentError(`${FNAME}: overrides[${i}].match '${o.source}' matches no layer`);
  });
}

/** Per group and per layer: units, parameters and FLOPs before and after, and why anything was left alone. */
function reportOf(cfg: Normalized, layers: LayerLike[], pruned: LayersModel, plan: GroupPlan, roots: number[]): StructuredReport {
  const { channels, producerGroup, layerNotes } = plan;
  const groupIndex = new Map<number, number>();
  const groups: StructuredGroupReport[] = roots.map((r, i) => {
    const gr = channels.groups[r];
    groupIndex.set(r, i);
    return { layers: [...gr.producers], unitsBefore: gr.size, unitsAfter: gr.keep === null ? gr.size : gr.keep.length, target: gr.frozen === null ? gr.target : null, note: gr.frozen };
  });
  const after = new Map((pruned.layers as unknown as LayerLike[]).map((l) => [l.name, l]));
  const totals = { paramsBefore: 0, paramsAfter: 0, flopsBefore: 0, flopsAfter: 0, unitsBefore: 0, unitsAfter: 0 };
  const layerReports: StructuredLayerReport[] = layers.map((l) => {
    const b = cost(l);
    const c = cost(after.get(l.name) as LayerLike);
    const g = producerGroup.get(l.name);
    const root = g === undefined ? undefined : channels.find(g);
    totals.paramsBefore += b.params;
    totals.paramsAfter += c.params;
    totals.flopsBefore += b.flops;
    totals.flopsAfter += c.flops;
    if (g !== undefined) {
      totals.unitsBefore += b.units ?? 0;
      totals.unitsAfter += c.units ?? 0;
    }
    return {
      name: l.name,
      className: l.getClassName(),
      unitsBefore: b.units,
      unitsAfter: c.units,
      paramsBefore: b.params,
      paramsAfter: c.params,
      flopsBefore: b.flops,
      flopsAfter: c.flops,
      group: root === undefined ? null : (groupIndex.get(root) as number),
      note: layerNotes.get(l.name) ?? (root !== undefined ? channels.groups[root].frozen : null),
    };
  });
  return { sparsity: cfg.sparsity, scope: cfg.scope, importance: cfg.importance, roundTo: cfg.roundTo, layers: layerReports, groups, totals };
}
