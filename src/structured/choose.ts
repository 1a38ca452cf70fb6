// Steps 2 and 3 of pruneStructured: which groups are pruned and how hard (config.layers, exclude,
// overrides), their per-unit scores (weight norms or mean activation), and the units each keeps.
import { tidy, type Tensor } from '@tensorflow/tfjs-core';
import { model as functionalModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { columnNorms, roundHalfEven } from '../kernels/index.js';
import type { Channels } from './channels.js';
import type { Normalized } from './config.js';
import type { GroupPlan } from './plan.js';
import { FNAME, last, PRODUCERS, weightKey, type LayerLike, type VarLike } from './surface.js';

/**
 * Freezes what the config leaves out and sets each remaining group's override target; returns the
 * root of every group (`roots`) and of those to prune (`active`). Throws where config.layers names a
 * layer that cannot be pruned.
 */
export function activeGroups(plan: GroupPlan, byName: Map<string, LayerLike>, cfg: Normalized): { roots: number[]; active: number[] } {
  const { channels, producerGroup } = plan;
  for (const [name, g] of producerGroup) {
    if (cfg.exclude.has(name)) channels.freeze(g, `excluded ('${name}')`);
    const o = cfg.overrides.find((ov) => ov.re.test(name));
    if (o?.skip) channels.freeze(g, `override '${o.source}' skips '${name}'`);
  }
  const roots = [...new Set([...producerGroup.values()].map((g) => channels.find(g)))];
  if (cfg.layers !== null) {
    for (const name of cfg.layers) checkNamedLayer(plan, byName.get(name) as LayerLike);
    for (const r of roots) if (!channels.groups[r].producers.some((p) => cfg.layers!.has(p))) channels.freeze(r, 'not in config.layers');
  }
  const active = roots.filter((r) => channels.groups[r].frozen === null);
  for (const r of active) {
    const gr = channels.groups[r];
    let target: number | undefined;
    for (const p of gr.producers) {
      const o = cfg.overrides.find((ov) => ov.re.test(p));
      if (o?.sparsity !== undefined) target = target === undefined ? o.sparsity : Math.min(target, o.sparsity);
    }
    gr.target = target ?? null;
  }
  return { roots, active };
}

function checkNamedLayer(plan: GroupPlan, l: LayerLike): void {
  const cls = l.getClassName();
  const g = plan.producerGroup.get(l.name);
  if (g === undefined) {
    const why = plan.unhandled.get(l.name) ?? `only ${[...PRODUCERS].join(', ')} units are removed`;
    throw new ArgumentError(`${FNAME}: layer '${l.name}' (${cls}) cannot be structurally pruned: ${why}`);
  }
  const frozen = plan.channels.group(g).frozen;
  if (frozen !== null) throw new ArgumentError(`${FNAME}: layer '${l.name}' (${cls}) cannot be structurally pruned: ${frozen}`);
}

/** Per-unit scores for every active group (sum over the group's producers). */
export async function scoreGroups(model: LayersModel, byName: Map<string, LayerLike>, channels: Channels, active: number[], cfg: Normalized): Promise<Map<number, Float64Array>> {
  const out = new Map<number, Float64Array>();
  for (const r of active) out.set(r, new Float64Array(channels.groups[r].size));
  if (active.length === 0) return out;
  if (cfg.importance === 'activation') return activationScores(model, byName, channels, active, cfg.calibration as Tensor[], out);
  for (const r of active) {
    const s = out.get(r)!;
    for (const p of channels.groups[r].producers) {
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

/** Mean |output| of every producer's units over the calibration batch. */
async function activationScores(
  model: LayersModel,
  byName: Map<string, LayerLike>,
  channels: Channels,
  active: number[],
  x: Tensor[],
  out: Map<number, Float64Array>,
): Promise<Map<number, Float64Array>> {
  const producers = active.flatMap((r) => channels.groups[r].producers.map((p) => ({ r, l: byName.get(p) as LayerLike })));
  const probe = functionalModel({ inputs: model.inputs, outputs: producers.map((p) => p.l.output as never) });
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
  return out;
}

/** Sets every active group's kept units (`keep`, null when all stay) and target from the scores. */
export function chooseKeeps(channels: Channels, active: number[], scores: Map<number, Float64Array>, cfg: Normalized): void {
  const pooled: number[] = [];
  for (const r of active) {
    const gr = channels.groups[r];
    if (cfg.scope === 'layer' || gr.target !== null) {
      const t = gr.target ?? cfg.sparsity;
      gr.target = t;
      const k = rounded(gr.size, Math.max(1, gr.size - roundHalfEven(t * gr.size)), cfg.roundTo);
      gr.keep = k === gr.size ? null : topK(scores.get(r)!, k);
    } else {
      pooled.push(r);
    }
  }
  if (pooled.length > 0) choosePooled(channels, pooled, scores, cfg);
}

/** Global scope: the lowest scores across the pooled groups go first; every group keeps one unit. */
function choosePooled(channels: Channels, pooled: number[], scores: Map<number, Float64Array>, cfg: Normalized): void {
  const all: { r: number; u: number; s: number }[] = [];
  for (const r of pooled) scores.get(r)!.forEach((s, u) => all.push({ r, u, s }));
  all.sort((a, b) => a.s - b.s || a.r - b.r || a.u - b.u);
  let remove = roundHalfEven(cfg.sparsity * all.length);
  const left = new Map(pooled.map((r) => [r, channels.groups[r].size]));
  for (const e of all) {
    if (remove === 0) break;
    if (left.get(e.r)! > 1) {
      left.set(e.r, left.get(e.r)! - 1);
      remove--;
    }
  }
  for (const r of pooled) {
    const gr = channels.groups[r];
    gr.target = cfg.sparsity;
    const k = rounded(gr.size, left.get(r)!, cfg.roundTo);
    gr.keep = k === gr.size ? null : topK(scores.get(r)!, k);
  }
}

/** `k` kept units rounded to a multiple of roundTo (at least roundTo, at most size). */
function rounded(size: number, k: number, roundTo: number): number {
  if (roundTo <= 1) return k;
  return size <= roundTo ? size : Math.min(size, Math.max(roundTo, Math.round(k / roundTo) * roundTo));
}

/** The k highest-scoring units, ascending. Lowest scores go first; ties: lowest index first. */
function topK(s: Float64Array, k: number): number[] {
  const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b] || a - b);
  return order.slice(s.length - k).sort((a, b) => a - b);
}
