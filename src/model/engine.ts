// Runs a pruning plan over tensors reached through an Access (artifacts bytes or a live model's
// variables): decide per tensor, find the global threshold if asked, then prune tensor by tensor
// with the core kernels, storing each result before the next tensor is read.
import { NaNWeightsError, type ModelLocation } from '../errors.js';
import { applyMask, countZeros, magnitudeThreshold, nmMask, prunedCount, pruneBelowBits, pruneToSparsity } from '../kernels/index.js';
import { allocWeights, type Tally, type Weights } from '../wasm/index.js';
import { decide, type Decision, type NM, type NormalizedConfig } from './config.js';
import type { CodedInput } from '../kernels/index.js';
import { type CodePick, globalSelect, type GlobalPlan, describeLocation } from '../format/index.js';
import type { NMLayout, TensorLike, TensorRole } from './select.js';
import type { TensorPruneReport } from './types.js';

export interface Stored {
  /** Storage dtype written. */
  dtype: string;
  /** Zeros in the stored tensor (dequantized); null when it was stored unchanged. */
  zeros: number | null;
}

export interface Access {
  /** Float32 values of float tensor i, read-only (a view or a decoded copy). */
  read(i: number): Float32Array;
  /** For the global threshold's passes: the values, or a quantized tensor's codes (no decoding). */
  readForSelect?(i: number): Float32Array | CodedInput;
  /** Float32 values of float tensor i that may be modified, to be passed to store(). */
  writable(i: number): Float32Array;
  /**
   * Where float tensor i's values go in a separate output (copy mode), not yet written: a pool
   * tensor's prune reads the input and writes there in one pass, instead of copying first. Null
   * when pruning in place, or when the output holds no such view.
   */
  output?(i: number): Float32Array | null;
  /**
   * Stores tensor i: `values` after pruning (with `zeros` of them zero), or null for "unchanged"
   * (copied or quantized as is).
   */
  store(i: number, values: Float32Array | null, zeros?: number): Stored;
  /**
   * Prunes tensor i in its stored codes when its storage allows it without decoding, writing the
   * result; null to decline (the float path then runs).
   */
  pruneCodes?(i: number, pick: CodePick): (Stored & { zerosBefore: number; zerosAfter: number; threshold: number }) | null;
  /** Zeros in non-float tensor i (int32, bool; 0 where not meaningful). */
  otherZeros(i: number): number;
  /**
   * Quantized tensor i's own threshold among its codes (its select rejects NaN), to prune later
   * with pruneCodes; null when its storage is not pruned in codes.
   */
  pickCodes?(i: number, sparsity: number): CodePick | null;
  /** Zeros of quantized tensor i counted in its codes (null for float32 storage). */
  codeZeros?(i: number): number | null;
  /** Where element `element` of tensor i lives, for messages. */
  where(i: number, element: number): ModelLocation;
}

export interface EngineTensor extends TensorLike {
  size: number;
  /** Storage quantization, if any (float32 tensors stored as uint8, uint16 or float16). */
  quant?: string | null;
}

export function runPlan(
  fname: string,
  tensors: readonly EngineTensor[],
  roles: readonly TensorRole[],
  cfg: NormalizedConfig,
  access: Access,
  validateFirst: boolean,
): TensorPruneReport[] {
  const run = new PlanRun(fname, tensors, roles, cfg, access);
  // Everything is checked before anything is stored, so a failure leaves no partial result.
  if (validateFirst) run.validate();
  return tensors.map((_, i) => run.tensor(i));
}

/** One run of a plan: the decisions, the global plan (if any) and the per-tensor paths. */
class PlanRun {
  readonly decisions: Decision[];
  /** Global scope: one threshold over the pool, and each pool tensor's position in it. */
  private readonly plan: GlobalPlan | null = null;
  private readonly poolPos = new Map<number, number>();
  /** Float16 tensors' own picks, made by validate() and used by the prune. */
  private readonly picks = new Map<number, CodePick>();

  constructor(
    private readonly fname: string,
    private readonly tensors: readonly EngineTensor[],
    private readonly roles: readonly TensorRole[],
    private readonly cfg: NormalizedConfig,
    private readonly access: Access,
  ) {
    this.decisions = decide(fname, tensors, roles, cfg);
    const pool = this.decisions.flatMap((d, i) => (d.pool ? [i] : []));
    pool.forEach((i, j) => this.poolPos.set(i, j));
    if (pool.length > 0) {
      const sizes = pool.map((i) => tensors[i].size);
      const k = prunedCount(cfg.sparsity as number, sizes.reduce((a, b) => a + b, 0));
      const read = access.readForSelect ?? access.read;
      this.plan = globalSelect(sizes, (j) => read(pool[j]), k, (j, count, first) => this.nanError(pool[j], count, first), fname);
    }
  }

  private nanError(i: number, count: number, first: number): never {
    const t = this.tensors[i];
    const loc = this.access.where(i, first);
    throw new NaNWeightsError(
      `${this.fname}: tensor '${t.name}' (float32[${t.shape.join(',')}]) holds ${count} NaN value${count === 1 ? '' : 's'}, ` +
        `the first at element ${first} (${describeLocation(loc)}); a NaN has no magnitude to rank`,
      count,
      first,
    );
  }

  /** Runs fn, turning a kernel's NaN error into one that names tensor i and where it lives. */
  private guard<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof NaNWeightsError) this.nanError(i, e.count, e.firstIndex);
      throw e;
    }
  }

  /**
   * Checks every tensor to prune outside the pool (the pool's select has checked its own).
   * Float16 tensors pruned in their codes pick their thresholds here, the select's pass doing the
   * check, and prune with those picks later.
   */
  validate(): void {
    const { access } = this;
    this.decisions.forEach((d, i) => {
      // (uint8 / uint16 codes dequantize to finite numbers: nothing to check.)
      const q = this.tensors[i].quant;
      if (!d.prune || d.pool || q === 'uint8' || q === 'uint16') return;
      const pick = q === 'float16' && d.nm === null && access.pickCodes ? this.guard(i, () => access.pickCodes!(i, d.sparsity as number)) : null;
      if (pick !== null) this.picks.set(i, pick);
      else this.guard(i, () => magnitudeThreshold(access.read(i), 0));
    });
  }

  /** Prunes (or stores unchanged) tensor i and returns its report entry. */
  tensor(i: number): TensorPruneReport {
    const t = this.tensors[i];
    const d = this.decisions[i];
    if (t.dtype !== 'float32') {
      const zeros = this.access.otherZeros(i);
      const s = this.access.store(i, null);
      return this.entry(i, s.dtype, zeros, zeros, null, null, null);
    }
    if (!d.prune) return this.unpruned(i);
    // Quantized storage that can be pruned in its codes, without decoding (uint8 whose grid holds 0).
    if (d.nm === null && this.access.pruneCodes) {
      const plan = this.plan;
      const c = d.pool && plan !== null ? planPick(plan, this.poolPos.get(i) as number) : (this.picks.get(i) ?? { sparsity: d.sparsity as number });
      const r = this.guard(i, () => this.access.pruneCodes!(i, c));
      if (r !== null) return this.entry(i, r.dtype, r.zerosBefore, r.zerosAfter, d.sparsity as number, r.threshold, d.method);
    }
    return this.floats(i);
  }

  /** A float tensor left as it is (or quantized on export): its zeros counted, nothing pruned. */
  private unpruned(i: number): TensorPruneReport {
    const { access } = this;
    // Quantized storage: zeros counted in the codes, nothing decoded.
    let zerosBefore = this.tensors[i].quant ? (access.codeZeros?.(i) ?? null) : null;
    if (zerosBefore === null) {
      const values = access.read(i);
      // Quantizing a float32 tensor on export needs numbers: NaN is an error there too.
      if (this.cfg.quantize !== null && !this.tensors[i].quant) this.guard(i, () => magnitudeThreshold(values, 0));
      zerosBefore = countZeros(values);
    }
    const s = access.store(i, null);
    return this.entry(i, s.dtype, zerosBefore, s.zeros ?? zerosBefore, null, null, null);
  }

  /** A float tensor pruned through its values: N:M, its share of the global plan, or its own sparsity. */
  private floats(i: number): TensorPruneReport {
    const d = this.decisions[i];
    const { access, plan } = this;
    const pooled = d.nm === null && d.pool && plan !== null;
    const out = pooled ? (access.output?.(i) ?? null) : null;
    const w = out ?? access.writable(i);
    let zerosBefore = 0;
    let zerosPruned = 0;
    let threshold: number | null = null;
    let target: number;
    if (d.nm !== null) {
      zerosBefore = countZeros(w);
      target = 1 - d.nm.n / d.nm.m;
      this.guard(i, () => pruneNM(w, this.roles[i].layout, d.nm as NM));
      zerosPruned = countZeros(w);
    } else if (pooled) {
      target = d.sparsity as number;
      // One pass through the kernels' window (copy mode: from the input straight into the
      // output, no copy first). The select's pass has counted the tensor's zeros
      // (quantized ones that could not be pruned in their codes too: zero magnitude either way);
      // a zero plan (no counts) has them counted window by window as the prune goes.
      const pos = this.poolPos.get(i) as number;
      const counted = plan!.counts?.[pos].zeros;
      const tally = { zeros: 0 };
      threshold = plan!.threshold;
      const src = out !== null ? access.read(i) : w;
      zerosPruned = w.length - prunePooled(src, plan!, pos, counted === undefined ? tally : undefined, out ?? undefined);
      zerosBefore = counted ?? tally.zeros;
    } else {
      target = d.sparsity as number;
      // Several passes (select, prune, zeros): held in the kernels' memory for them.
      resident(w, (x) => {
        zerosBefore = countZeros(x);
        const r = this.guard(i, () => pruneToSparsity(x, target));
        threshold = r.threshold;
        zerosPruned = r.pruned;
      });
    }
    const s = access.store(i, w, zerosPruned);
    return this.entry(i, s.dtype, zerosBefore, s.zeros ?? zerosPruned, target, threshold, d.method);
  }

  private entry(i: number, dtype: string, zerosBefore: number, zerosAfter: number, target: number | null, threshold: number | null, method: TensorPruneReport['method']): TensorPruneReport {
    return reportEntry(this.tensors[i], this.roles[i], this.decisions[i].reason, dtype, zerosBefore, zerosAfter, target, threshold, method);
  }
}

/** One report entry; one object literal per entry (a spread of a shared base is slow in V8 until optimised). */
export function reportEntry(
  t: { name: string; shape: readonly number[]; size: number },
  role: { layer: string | null; layerClass: string | null },
  reason: string,
  dtype: string,
  zerosBefore: number,
  zerosAfter: number,
  target: number | null,
  threshold: number | null,
  method: TensorPruneReport['method'],
): TensorPruneReport {
  return {
    name: t.name,
    shape: [...t.shape],
    layer: role.layer,
    layerClass: role.layerClass,
    params: t.size,
    reason,
    dtype,
    zerosBefore,
    zerosAfter,
    sparsity: ratio(zerosAfter, t.size),
    target,
    threshold,
    method,
  };
}

function planPick(plan: GlobalPlan, j: number): CodePick {
  if (plan.counts === null) return { bits: 0, take: 0 };
  const c = plan.counts[j];
  return { bits: plan.bits, take: c.take, below: c.below, ties: c.ties, zeros: c.zeros };
}

/** Prunes a pool tensor to its share of the global plan; returns the weights kept. */
function prunePooled(w: Weights, plan: GlobalPlan, j: number, tally?: Tally, out?: Float32Array): number {
  if (plan.counts === null) return pruneBelowBits('pruneArtifacts', w, 0, 0, 0, tally, out);
  const c = plan.counts[j];
  // Everything below the threshold's bits and the first `take` ties; the select pass has already
  // ruled out NaN, so no second look is needed.
  const kept = pruneBelowBits('pruneArtifacts', w, plan.bits, c.take, c.ties, tally, out);
  if (w.length - kept !== c.pruned) {
    throw new Error(`tfjs-prune internal error: global plan pruned ${w.length - kept} weights instead of ${c.pruned}`);
  }
  return kept;
}

/** Tensors up to this many weights are copied into the kernels' memory for their several passes. */
const RESIDENT_MAX = 1 << 22;

/**
 * Runs `fn` on the weights held in Wasm memory (WasmWeights): one copy in and one out instead of
 * the kernels streaming a JS array through their window on each of their passes. Larger tensors
 * are streamed, so Wasm memory (which never shrinks) stays within 16 MiB.
 */
function resident(w: Float32Array, fn: (x: Weights) => void): void {
  if (w.length < 4096 || w.length > RESIDENT_MAX) {
    fn(w);
    return;
  }
  const x = allocWeights(w.length);
  try {
    x.array.set(w);
    fn(x);
    w.set(x.array);
  } finally {
    x.free();
  }
}

/**
 * N:M along the layout's axis: the tensor is seen as [outer, axis, inner] and every run of m
 * consecutive positions along `axis` keeps its n largest magnitudes (the last run of a row may be
 * shorter). Pruned weights become +0.
 */
export function pruneNM(w: Float32Array, layout: NMLayout, nm: NM): void {
  const { outer, axis, inner } = layout;
  if (w.length === 0 || axis === 0) return;
  if (inner === 1) {
    applyMask(w, nmMask(w, { n: nm.n, m: nm.m, rowLength: axis }));
    return;
  }
  // Move the axis innermost: [outer, inner, axis].
  const t = new Float32Array(w.length);
  for (let o = 0; o < outer; o++) {
    const src = o * axis * inner;
    for (let a = 0; a < axis; a++) {
      const row = src + a * inner;
      for (let x = 0; x < inner; x++) t[src + x * axis + a] = w[row + x];
    }
  }
  const mask = nmMask(t, { n: nm.n, m: nm.m, rowLength: axis });
  for (let o = 0; o < outer; o++) {
    const src = o * axis * inner;
    for (let a = 0; a < axis; a++) {
      const row = src + a * inner;
      for (let x = 0; x < inner; x++) if (mask[src + x * axis + a] === 0) w[row + x] = 0;
    }
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export type { Decision };
