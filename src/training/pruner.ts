// Pruning while training. A Pruner holds one keep-mask per selected weight of a live tf.LayersModel
// and is driven by an explicit step: `step(n)` recomputes the masks when the schedule says so,
// `apply()` sets the pruned weights back to exactly +0 after an optimizer update. The model itself
// is never wrapped or rewritten, so there is nothing to undo: `strip()` applies the masks a last
// time and drops them, and the model saves and loads as any other.
//
// Which tensors are pruned, and how (layer or global scope, overrides, N:M), is decided by the
// model-level engine (config.ts, select.ts, engine.ts), exactly as pruneModel decides it; the
// schedule only supplies the sparsity at each mask update.
import { tensor, tidy, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { applyMask as applyMaskOp } from '../tfjs/ops/apply_mask.js';
import { registerPruneKernels } from '../tfjs/register.js';
import { decide, normalizeConfig, type NormalizedConfig } from '../model/config.js';
import { runPlan, type Access, type EngineTensor } from '../model/engine.js';
import { checkSchedule, type PruningSchedule, type PruningScheduleConfig } from './schedules.js';
import { classify, layerIndexOf, type TensorRole } from '../model/select.js';
import type { PruneConfig, TensorPruneReport } from '../model/types.js';

/** The model-level config without `sparsity` (the schedule's) and `quantize` (artifacts only). */
export interface PruningOptions extends Omit<PruneConfig, 'sparsity' | 'quantize'> {
  /**
   * When masks are recomputed and to what sparsity: constantSparsity(...), polynomialDecay(...),
   * a schedule config, or any object with `at(step)`. Tensors pruned N:M, and tensors given a
   * sparsity by an override, are pruned to that fixed pattern at every step the schedule prunes.
   */
  schedule: PruningSchedule | PruningScheduleConfig;
}

/** What one mask update did. */
export interface PruningUpdateReport {
  step: number;
  /** The schedule's sparsity at this step. */
  target: number;
  /** Zeros among the masked tensors / their parameters, after the update. */
  sparsity: number;
  /** Per tensor, as in pruneModel's report (zerosBefore: before this update). */
  tensors: TensorPruneReport[];
}

interface VariableLike {
  readonly originalName: string;
  readonly shape: number[];
  readonly dtype: string;
  read(): Tensor;
  write(t: Tensor): unknown;
}

interface Masked {
  index: number;
  variable: VariableLike;
  /** 1 = keep, 0 = pruned. */
  mask: Uint8Array;
  /** The same mask as a bool tensor on the current backend (one byte per weight). */
  maskTensor: Tensor;
}

const FNAME = 'Pruner';
const OPTION_KEYS = new Set(['schedule', 'scope', 'method', 'include', 'exclude', 'includeClasses', 'excludeClasses', 'skipFirst', 'skipLast', 'overrides']);

/** Validates pruning options without a model (PruningCallback checks them at construction). */
export function normalizePruningOptions(fname: string, options: unknown): { schedule: PruningSchedule; cfg: NormalizedConfig } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${fname}: options must be an object such as { schedule: polynomialDecay({...}) }, got ${options === null ? 'null' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  if ('sparsity' in o) throw new ArgumentError(`${fname}: sparsity comes from the schedule while training; use constantSparsity({ targetSparsity }) for a fixed one`);
  if ('quantize' in o) throw new ArgumentError(`${fname}: quantize applies to saved artifacts (pruneArtifacts), not to training`);
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) throw new ArgumentError(`${fname}: unknown option '${key}' (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  if (o.schedule === undefined) throw new ArgumentError(`${fname}: schedule is required (constantSparsity(...) or polynomialDecay(...))`);
  const schedule = checkSchedule(fname, o.schedule);
  const { schedule: _s, ...rest } = o;
  const method = rest.method ?? 'magnitude';
  // The schedule's sparsity stands in for config.sparsity (0 here, only to validate the rest).
  const cfg = normalizeConfig(fname, method === 'magnitude' ? { ...rest, sparsity: 0 } : rest, false);
  return { schedule, cfg };
}

/**
 * Holds the masks of a live tf.LayersModel while it trains. In a custom training loop:
 *
 *     const pruner = new Pruner(model, { schedule: polynomialDecay({ ... }) });
 *     for (let step = 0; step < steps; step++) {
 *       await pruner.step(step);       // masks recomputed on the schedule's steps
 *       optimizer.minimize(() => loss(model, batch(step)));
 *       pruner.apply();                // pruned weights back to exactly +0
 *     }
 *     pruner.strip();                  // masks applied a last time and dropped
 *
 * With model.fit, use PruningCallback, which does exactly this once per batch. The masks are
 * computed by the Wasm kernels (`step` initialises them and registers the tfjs kernels as needed)
 * and applied with the applyMask op, on the model's backend.
 */
export class Pruner {
  readonly model: LayersModel;
  readonly schedule: PruningSchedule;
  private readonly cfg: NormalizedConfig;
  private readonly vars: VariableLike[];
  private readonly tensors: EngineTensor[];
  private readonly roles: TensorRole[];
  private masked: Masked[] = [];
  private last: number | null = null;
  private stripped = false;

  constructor(model: LayersModel, options: PruningOptions) {
    if (model === null || typeof model !== 'object' || !Array.isArray((model as { weights?: unknown }).weights) || !Array.isArray((model as { layers?: unknown }).layers)) {
      throw new ArgumentError(`${FNAME}: model must be a tf.LayersModel, got ${model === null ? 'null' : typeof model}`);
    }
    const { schedule, cfg } = normalizePruningOptions(FNAME, options);
    this.model = model;
    this.schedule = schedule;
    this.cfg = cfg;
    this.vars = model.weights as unknown as VariableLike[];
    this.tensors = this.vars.map((v) => ({ name: v.originalName, shape: [...v.shape], dtype: v.dtype, size: v.shape.reduce((a, b) => a * b, 1) }));
    this.roles = classify(this.tensors, null, layerIndexOf(model));
    // Patterns that match nothing, overrides without a sparsity: errors now, not at the first update.
    decide(FNAME, this.tensors, this.roles, this.withSparsity(0));
  }

  /** The last step passed to step(), or null before the first. */
  get lastStep(): number | null {
    return this.last;
  }

  /**
   * Step `n` of training begins: when the schedule prunes at `n`, recomputes every mask from the
   * current weights (the weights already pruned are zero and so stay pruned) and applies them.
   * Returns what the update did, or null when the schedule does not prune at `n`.
   */
  async step(n: number): Promise<PruningUpdateReport | null> {
    this.checkLive('step');
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new ArgumentError(`${FNAME}.step: the step must be an integer, got ${String(n)}`);
    const at = this.schedule.at(n);
    if (at === null || typeof at !== 'object' || typeof at.shouldPrune !== 'boolean' || typeof at.sparsity !== 'number' || !(at.sparsity >= 0 && at.sparsity <= 1)) {
      throw new ArgumentError(`${FNAME}.step: schedule.at(${n}) must return { shouldPrune: boolean, sparsity in [0, 1] }, got ${JSON.stringify(at)}`);
    }
    this.last = n;
    if (!at.shouldPrune) return null;
    await registerPruneKernels();
    return this.update(n, at.sparsity);
  }

  /** Sets every pruned weight to +0 (call after each optimizer update). Free before the first mask. */
  apply(): void {
    this.checkLive('apply');
    if (this.masked.length === 0) return;
    tidy(() => {
      for (const m of this.masked) m.variable.write(applyMaskOp(m.variable.read(), m.maskTensor));
    });
  }

  /** A copy of each mask (1 = keep), by tensor name; empty before the first update. */
  masks(): Map<string, Uint8Array> {
    return new Map(this.masked.map((m) => [m.variable.originalName, m.mask.slice()]));
  }

  /**
   * Applies the masks a last time and frees them. The model is left a plain tf.LayersModel with
   * sparse weights (it never held anything of the pruner's); the pruner cannot be used again.
   */
  strip(): void {
    this.checkLive('strip');
    this.apply();
    for (const m of this.masked) m.maskTensor.dispose();
    this.masked = [];
    this.stripped = true;
  }

  private withSparsity(s: number): NormalizedConfig {
    return this.cfg.nm === null ? { ...this.cfg, sparsity: s } : this.cfg;
  }

  private checkLive(what: string): void {
    if (this.stripped) throw new ArgumentError(`${FNAME}.${what}: this pruner was stripped; create a new one to prune again`);
  }

  private async update(step: number, sparsity: number): Promise<PruningUpdateReport> {
    const values = (await Promise.all(this.vars.map((v) => v.read().data()))) as unknown as (Float32Array | Int32Array | Uint8Array)[];
    const newMasks = new Map<number, Uint8Array>();
    const access: Access = {
      read: (i) => values[i] as Float32Array,
      // A copy: data() may hand out the backend's own storage (the cpu backend does), which
      // clones and getWeights() results share; writing into it would change them too.
      writable: (i) => (values[i] = (values[i] as Float32Array).slice()),
      store(i, v) {
        if (v !== null) {
          const mask = new Uint8Array(v.length);
          for (let j = 0; j < v.length; j++) mask[j] = v[j] !== 0 ? 1 : 0;
          newMasks.set(i, mask);
        }
        return { dtype: 'float32', zeros: null };
      },
      otherZeros(i) {
        let z = 0;
        const a = values[i];
        for (let j = 0; j < a.length; j++) if (a[j] === 0) z++;
        return z;
      },
      where: (i, element) => ({ tensor: this.tensors[i].name, byteOffset: element * 4 }),
    };
    const reports = runPlan(`${FNAME}.step`, this.tensors, this.roles, this.withSparsity(sparsity), access, false);
    for (const m of this.masked) m.maskTensor.dispose();
    this.masked = [...newMasks].map(([index, mask]) => ({
      index,
      variable: this.vars[index],
      mask,
      maskTensor: tensor(mask, this.tensors[index].shape, 'bool'),
    }));
    this.apply();
    let zeros = 0;
    let params = 0;
    for (const r of reports) {
      if (r.method === null) continue;
      zeros += r.zerosAfter;
      params += r.params;
    }
    return { step, target: sparsity, sparsity: params === 0 ? 0 : zeros / params, tensors: reports };
  }
}

