/// <reference types="node" />
// pruneDirectory: a model on disk pruned into a new directory without ever holding it in memory
// (docs/streaming.md). The shards are read in passes, chunk by chunk, by worker threads; the
// output shards are written at their final offsets in a temporary directory renamed into place
// at the end, as saveArtifacts does. The bytes written are those of
// saveArtifacts(dir, (await pruneArtifacts(await loadArtifacts(input), config)).artifacts).
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ArgumentError, ModelFormatError, ModelIOError, NaNWeightsError, PruneError, type PruneErrorCode } from '../errors.js';
import { prunedCount } from '../kernels/index.js';
import { guessFormat } from '../model/artifacts.js';
import { decide, normalizeConfig, type Decision } from '../model/config.js';
import { parseWeightSpecs, QUANT_BYTES, storageDtype, type TensorEntry, describeLocation, locate, recordWeightFiles, type WeightFile } from '../format/index.js';
import { buildReport } from '../model/report.js';
import { classify, type NMLayout } from '../model/select.js';
import type { PassSink } from '../model/sizes.js';
import { countAt, elementBytes, finishGroup, LOW_BINS, pickBin, sampleBracket, selectGathered, TOP_BINS, TOP_SHIFT, ZERO_GROUP_PLAN, type ChunkPick, type GroupPlan, type NaNCount, type TensorResult } from '../model/stream.js';
import type { ModelArtifacts, ModelPruneReport, PruneConfig, QuantizeDtype, TensorPruneReport, WeightSpec } from '../model/types.js';
import { wasmInfo } from '../wasm/index.js';
import { copyModelFields, findModelFile, parseModelText } from './load.js';
import { DEFAULT_SHARD_BYTES, modelJSON, swapInto } from './save.js';
import { JobRunner, type Collected, type FileSpan, type Job, type JobResult, type RunnerSetup, type Sized } from './stream_jobs.js';
import type { SerializedError, WorkerMessage } from './stream_worker.js';
import { checkLimits, FileBytes, LIMIT_KEYS, modelDir, noteShard, overCap, readModelText, shardPath, type LoadArtifactsOptions, type ReadLimits } from './untrusted.js';

const FNAME = 'pruneDirectory';

/** The model is untrusted input as for loadArtifacts: `allowOutsidePaths`, `maxBytes`, `maxJsonBytes` likewise. */
export interface PruneDirectoryOptions extends LoadArtifactsOptions {
  /** Replace `outDir` if it exists (default false). */
  overwrite?: boolean;
  /** Bytes per output shard; default 4 MiB as tfjs-converter (and saveArtifacts). */
  shardBytes?: number;
  /** Name of the JSON file written; default as saveArtifacts ('model.json', or 'weights_manifest.json' for a bare manifest). */
  fileName?: string;
  /**
   * Worker threads reading, selecting and pruning. 0 runs everything in the calling thread.
   * Default: 0 for models under 64 MiB of weights, else os.availableParallelism() (at most 8).
   * The output is the same whatever the count.
   */
  threads?: number;
  /**
   * Bytes of a tensor read at a time (a tensor larger than this is handled in chunks of it,
   * except where it must be seen whole: N:M, quantized storage, quantizing on export). Default
   * 16 MiB. The output is the same whatever the size.
   */
  chunkBytes?: number;
  /** Called as the passes advance: the pass, and bytes of weights done out of the pass's total. */
  onProgress?: (pass: 'select' | 'prune', done: number, total: number) => void;
  /** The output's gzip sizes taken as it is written (src/node/dir_sizes.ts: the CLI's report); by default none. */
  passSizes?: PassSink;
}

export interface PruneDirectoryResult {
  /** As pruneArtifacts' report; gzip sizes are not computed (null; the CLI measures them with src/node/dir_sizes.ts). */
  report: ModelPruneReport;
  /** Absolute path of the JSON file written. */
  modelPath: string;
  /** Absolute paths of the shards, in manifest order. */
  shardPaths: string[];
  weightBytes: number;
}

/** Models with fewer weight bytes run in the calling thread unless `threads` says otherwise. */
const THREADS_FROM = 64 * 1024 * 1024;
const MAX_DEFAULT_THREADS = 8;
const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
/** Magnitudes gathered in memory per group at most (4 bytes each) before the refining pass instead. */
let GATHER_CAP = 1 << 24;
const EMPTY = new Uint32Array(0);
/** A bracket holding nothing: the gathering pass then only looks for NaN. */
const NOTHING = { lo: 0, hi: -1 };

/** @internal For tests: a smaller gather cap sends crowded bins through the refining passes. */
export function setGatherCap(n: number): number {
  const old = GATHER_CAP;
  GATHER_CAP = n;
  return old;
}

/**
 * Prunes the model in `input` (a directory holding model.json or weights_manifest.json, or the
 * JSON file itself) into `outDir`, streaming: memory holds chunks of tensors, never the model.
 * Same config and same output bytes as pruneArtifacts + saveArtifacts. Requires `await init()`
 * from 'tfjs-prune'. Nothing is written when anything is wrong, and a failure leaves no output.
 */
export async function pruneDirectory(input: string, outDir: string, config: PruneConfig, options: PruneDirectoryOptions = {}): Promise<PruneDirectoryResult> {
  if (typeof input !== 'string' || input === '') throw new ArgumentError(`${FNAME}: input must be a non-empty path string`);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(input) && !input.startsWith('file:')) {
    throw new ArgumentError(`${FNAME}: streams local files only; got ${input} (use loadArtifacts + pruneArtifacts for URLs)`);
  }
  if (typeof outDir !== 'string' || outDir === '') throw new ArgumentError(`${FNAME}: outDir must be a non-empty path string`);
  const opts = checkOptions(options);
  const cfg = normalizeConfig(FNAME, config, true);
  const info = wasmInfo(); // throws WASM_NOT_INITIALIZED before any work

  const src = input.startsWith('file:') ? fileURLToPath(input) : input;
  const head = await readModelHead(src, FNAME, opts.limits);
  const threads = opts.threads ?? (declaredWeightBytes(head) < THREADS_FROM ? 0 : Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS)));
  // The worker threads start (Node's start-up and the Wasm kernels: 0.1-0.3 s each here) while
  // the shards are checked and the output laid out; they get the layout when it is known.
  const workers = threads === 0 ? null : WorkerPool.boot(threads, { forceScalar: !info.simd, chunkLength: info.chunkLength });
  try {
    return await pruneOpened(await openModel(src, FNAME, opts.limits, head), outDir, cfg, opts, workers);
  } finally {
    await workers?.close();
  }
}

/** pruneDirectory once model.json is read: the checks of the output, the passes, the files. */
async function pruneOpened(model: OpenModel, outDir: string, cfg: ReturnType<typeof normalizeConfig>, opts: CheckedOptions, workers: WorkerPool | null): Promise<PruneDirectoryResult> {
  const { entries, inputFiles, artifacts } = model;
  const roles = classify(entries, artifacts.modelTopology);
  const decisions = decide(FNAME, entries, roles, cfg);
  const format = artifacts.format ?? guessFormat(artifacts.modelTopology);
  const fileName = opts.fileName ?? (artifacts.modelTopology === undefined ? 'weights_manifest.json' : 'model.json');

  const target = path.resolve(outDir);
  const existing = await stat(target).catch(() => null);
  if (existing !== null) {
    if (!existing.isDirectory()) throw new ModelIOError('OUTPUT_EXISTS', `${FNAME}: ${target} exists and is not a directory`, target);
    if (!opts.overwrite) throw new ModelIOError('OUTPUT_EXISTS', `${FNAME}: ${target} exists; pass { overwrite: true } to replace it`, target);
  }

  // Output layout, as pruneArtifacts lays it out and saveArtifacts cuts it into shards.
  const exportQ = cfg.quantize;
  const outLength = (e: TensorEntry) => (exportQ !== null && e.dtype === 'float32' && e.quant === null ? e.size * QUANT_BYTES[exportQ] : e.byteLength);
  const outOffsets: number[] = [];
  let outTotal = 0;
  for (const e of entries) {
    outOffsets.push(outTotal);
    outTotal += outLength(e);
  }
  const inTotal = inputFiles.reduce((a, f) => a + f.size, 0);
  const nShards = outTotal === 0 ? 0 : Math.ceil(outTotal / opts.shardBytes);
  const names = Array.from({ length: nShards }, (_, i) => `group1-shard${i + 1}of${nShards}.bin`);

  const parent = path.dirname(target);
  const base = path.basename(target);
  let tmp: string | null = null;
  let pool: Pool | null = null;
  try {
    await mkdir(parent, { recursive: true });
    tmp = path.join(parent, `.${base}.tmp-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`);
    await mkdir(tmp, { mode: 0o777 });
    const outputFiles: FileSpan[] = names.map((n, i) => ({ path: path.join(tmp as string, n), start: i * opts.shardBytes, size: Math.min(opts.shardBytes, outTotal - i * opts.shardBytes) }));
    const sizes = opts.passSizes?.plan(decisions.map((d) => d.prune), exportQ, workers !== null) ?? null;
    const setup: RunnerSetup = { fname: FNAME, entries, input: inputFiles, inputRoot: opts.limits.allowOutsidePaths ? null : model.root, output: outputFiles, outOffsets, sizes };
    pool = workers === null ? new InlinePool(setup) : workers.setup(setup);
    // The output shards are created at their sizes by one runner, in one job of synchronous calls,
    // while the others select; the prune pass waits for it. (On libuv's pool, the calling
    // thread's share of a few hundred open / ftruncate / close promises kept it from handing the
    // workers their jobs on a busy machine; created by the first write to each instead, the files
    // cost the prune pass 0.3-0.5 s of the 2 GB model, bench/e2e-floor.mjs; created by every
    // runner a few at a time, they contended for the directory.)
    const created = pool.map([{ op: 'create', from: 0, to: outputFiles.length }], () => undefined);
    created.catch(() => undefined); // awaited before the prune pass; a select failure must not leave it unhandled
    const tensors = await runPasses(pool, entries, decisions, roles.map((r) => r.layout), exportQ, cfg.sparsity, opts, model.weightData, created);

    // The manifest: the input's specs, with new quantization fields where the storage changed.
    const specs: WeightSpec[] = entries.map((e, i) => {
      const s: WeightSpec = { ...e.spec, shape: [...e.spec.shape] };
      if (e.spec.quantization) s.quantization = { ...e.spec.quantization };
      const q = tensors[i].quantization;
      if (q !== null) s.quantization = { ...(e.spec.quantization ?? {}), ...q };
      return s;
    });
    const reports: TensorPruneReport[] = entries.map((e, i) => {
      const d = decisions[i];
      const r = tensors[i];
      return {
        name: e.name,
        shape: [...e.shape],
        layer: roles[i].layer,
        layerClass: roles[i].layerClass,
        params: e.size,
        reason: d.reason,
        dtype: r.dtype,
        zerosBefore: r.zerosBefore,
        zerosAfter: r.zerosAfter,
        sparsity: e.size === 0 ? 0 : r.zerosAfter / e.size,
        target: r.target,
        threshold: r.threshold,
        method: d.prune ? d.method : null,
      };
    });
    let quantizedRaw = 0;
    entries.forEach((e, i) => {
      const isF32 = e.dtype === 'float32' && specs[i].quantization === undefined;
      quantizedRaw += isF32 ? e.size : outLength(e);
    });
    const after = { raw: outTotal, gzip: null };
    const quantized = exportQ !== null ? { dtype: exportQ, ...after } : { dtype: 'uint8' as const, raw: quantizedRaw, gzip: null };
    const report = buildReport(format, cfg.scope, cfg.method, cfg.sparsity, reports, { before: { raw: inTotal, gzip: null }, after, quantized });

    await pool.close();
    pool = null;
    const manifest = [{ paths: names, weights: specs }];
    const out: ModelArtifacts = { ...artifacts, weightSpecs: specs };
    const json = artifacts.modelTopology === undefined ? manifest : modelJSON(out, manifest);
    await writeFile(path.join(tmp, fileName), JSON.stringify(json));
    await swapInto(tmp, target, opts.overwrite, FNAME);
    tmp = null;
    return { report, modelPath: path.join(target, fileName), shardPaths: names.map((n) => path.join(target, n)), weightBytes: outTotal };
  } catch (e) {
    if (e instanceof PruneError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.syscall !== undefined) throw new ModelIOError('IO_ERROR', `${FNAME}: cannot write ${target}: ${err.code}`, target);
    throw e;
  } finally {
    if (pool !== null) await pool.close().catch(() => undefined);
    if (tmp !== null) await rm(tmp, { recursive: true, force: true });
  }
}

// ---- the passes --------------------------------------------------------------------------------

interface TensorOutcome {
  dtype: string;
  zerosBefore: number;
  zerosAfter: number;
  target: number | null;
  threshold: number | null;
  quantization: TensorResult['quantization'];
}

interface Chunk {
  t: number;
  start: number;
  end: number;
}

interface Group {
  tensors: number[];
  k: number;
  plan: GroupPlan | null;
  /** Per chunk of its tensors (in tensor, then element order): below and at the threshold. */
  lt: number[];
  eq: number[];
  chunks: Chunk[];
}

async function runPasses(
  pool: Pool,
  entries: TensorEntry[],
  decisions: Decision[],
  layouts: NMLayout[],
  exportQ: QuantizeDtype | null,
  sparsity: number | null,
  opts: CheckedOptions,
  weightData: object,
  outputReady: Promise<void>,
): Promise<TensorOutcome[]> {
  const passes = new Passes(pool, entries, decisions, exportQ, sparsity, opts, weightData);
  await passes.select();
  await outputReady;
  return passes.prune(layouts);
}

/**
 * The passes over a model's chunks, on the worker pool: the exact select of every group (a sample
 * brackets the k-th; the exact histogram passes where it misleads), then the prune pass.
 */
class Passes {
  /**
   * Groups that need an exact select over chunks: the global pool, and tensors pruned by their own
   * sparsity that are too large for one chunk (smaller ones are pruned whole by the core kernels).
   */
  private readonly groups: Group[] = [];
  private readonly groupOf = new Map<number, { g: number; j: number }>();
  /** Each settled group's threshold bits. */
  private readonly bitsOf = new Map<number, number>();
  private readonly nan = new Map<number, { count: number; first: number }>();
  private selectTotal = 0;
  private selectDone = 0;

  constructor(
    private readonly pool: Pool,
    private readonly entries: TensorEntry[],
    private readonly decisions: Decision[],
    private readonly exportQ: QuantizeDtype | null,
    sparsity: number | null,
    private readonly opts: CheckedOptions,
    private readonly weightData: object,
  ) {
    const { groups } = this;
    const poolTensors = decisions.flatMap((d, i) => (d.pool ? [i] : []));
    if (poolTensors.length > 0) {
      const n = poolTensors.reduce((a, i) => a + entries[i].size, 0);
      groups.push({ tensors: poolTensors, k: prunedCount(sparsity as number, n), plan: null, lt: [], eq: [], chunks: [] });
    }
    entries.forEach((e, i) => {
      const d = decisions[i];
      if (d.prune && !d.pool && d.nm === null && e.quant === null && exportQ === null && e.size > this.chunkElements(e)) {
        groups.push({ tensors: [i], k: prunedCount(d.sparsity as number, e.size), plan: null, lt: [], eq: [], chunks: [] });
      }
    });
    groups.forEach((g, gi) => {
      g.tensors.forEach((t, j) => this.groupOf.set(t, { g: gi, j }));
      g.chunks = g.tensors.flatMap((t) => this.chunksOf(t));
    });
  }

  private chunkElements(e: TensorEntry): number {
    return Math.max(1, Math.floor(this.opts.chunkBytes / Math.max(1, elementBytes(e))));
  }

  private chunksOf(t: number): Chunk[] {
    const e = this.entries[t];
    if (elementBytes(e) === 0 || e.size === 0) return [{ t, start: 0, end: e.size }];
    const step = this.chunkElements(e);
    const out: Chunk[] = [];
    for (let s = 0; s < e.size; s += step) out.push({ t, start: s, end: Math.min(e.size, s + step) });
    return out;
  }

  private bytesOf(c: Chunk): number {
    const per = elementBytes(this.entries[c.t]);
    return per === 0 ? this.entries[c.t].byteLength : (c.end - c.start) * per;
  }

  private groupBytes(gi: number): number {
    return this.groups[gi].chunks.reduce((a, c) => a + this.bytesOf(c), 0);
  }

  private selectProgress(c: Chunk): void {
    this.selectDone += this.bytesOf(c);
    this.opts.onProgress?.('select', Math.min(this.selectDone, this.selectTotal), this.selectTotal);
  }

  private chunkJobs<T extends object>(gs: number[], extra: (gi: number, ci: number) => T) {
    return gs.flatMap((gi) => this.groups[gi].chunks.map((c, ci) => ({ ...c, ...extra(gi, ci), gi, ci })));
  }

  private noteNaN(c: Chunk, r: NaNCount): void {
    if (r.nan === 0) return;
    const prev = this.nan.get(c.t) ?? { count: 0, first: Infinity };
    this.nan.set(c.t, { count: prev.count + r.nan, first: Math.min(prev.first, c.start + r.firstNaN) });
  }

  private throwNaN(): void {
    if (this.nan.size === 0) return;
    const t = Math.min(...this.nan.keys());
    const x = this.nan.get(t) as { count: number; first: number };
    throw nanError(this.entries[t], x.count, x.first, this.weightData);
  }

  /** Every group's plan: its exact threshold and per-tensor counts below and at it. */
  async select(): Promise<void> {
    const { groups } = this;
    if (groups.length === 0) return;
    const all = groups.map((_, gi) => gi);
    const ranked = all.filter((gi) => groups[gi].k > 0);
    const brackets = await this.sampleBrackets(ranked);
    // Pass 2, every weight: NaN, the count below the bracket and the magnitudes inside it.
    this.selectTotal += all.reduce((a, gi) => a + this.groupBytes(gi), 0);
    const settled = await this.gathered(all, (gi) => brackets.get(gi) ?? NOTHING);
    for (const gi of all) if (groups[gi].k === 0) groups[gi].plan = ZERO_GROUP_PLAN;
    const rest = ranked.filter((gi) => !settled.has(gi));
    if (rest.length > 0) await this.exactSelect(rest);
    groups.forEach((g, gi) => {
      if (g.plan !== null) return;
      const lt = new Map<number, number>();
      const eq = new Map<number, number>();
      g.chunks.forEach((c, ci) => {
        lt.set(c.t, (lt.get(c.t) ?? 0) + g.lt[ci]);
        eq.set(c.t, (eq.get(c.t) ?? 0) + g.eq[ci]);
      });
      g.plan = finishGroup(g.k, this.bitsOf.get(gi) as number, g.tensors.map((t) => lt.get(t) ?? 0), g.tensors.map((t) => eq.get(t) ?? 0));
    });
  }

  /** Pass 1, a sample (1/256 of the weights, runs of 256) of each group: a bracket around the k-th. */
  private async sampleBrackets(ranked: number[]): Promise<Map<number, { lo: number; hi: number }>> {
    const { groups, entries } = this;
    const brackets = new Map<number, { lo: number; hi: number }>();
    if (ranked.length === 0) return brackets;
    const starts = groups.map((g) => {
      let at = 0;
      return g.chunks.map((c) => {
        const x = at;
        at += c.end - c.start;
        return x;
      });
    });
    await this.pool.map(this.chunkJobs(ranked, (gi, ci) => ({ op: 'sample' as const, group: gi, g0: starts[gi][ci] })), () => undefined);
    const top = sumCollected(await this.pool.collect(), 'top');
    for (const gi of ranked) {
      const n = groups[gi].tensors.reduce((a, t) => a + entries[t].size, 0);
      const b = sampleBracket(top.get(gi) ?? new Float64Array(TOP_BINS), groups[gi].k, n);
      if (b !== null) brackets.set(gi, b);
    }
    return brackets;
  }

  /**
   * The sample misled (or the bracket was too crowded): the exact passes, a histogram of the top
   * 16 bits, then the bin of the k-th gathered, or refined when it is too crowded too.
   */
  private async exactSelect(rest: number[]): Promise<void> {
    const { groups, pool } = this;
    this.selectTotal += rest.reduce((a, gi) => a + 2 * this.groupBytes(gi), 0);
    await pool.map(this.chunkJobs(rest, (gi) => ({ op: 'top' as const, group: gi })), (job) => this.selectProgress(job));
    const top = sumCollected(await pool.collect(), 'top');
    const bins = new Map<number, { bin: number; rank: number; count: number }>();
    for (const gi of rest) bins.set(gi, pickBin(top.get(gi) as Float64Array, groups[gi].k));
    const gather = rest.filter((gi) => (bins.get(gi) as { count: number }).count <= GATHER_CAP);
    const binRange = (gi: number) => {
      const lo = (bins.get(gi) as { bin: number }).bin * 2 ** TOP_SHIFT;
      return { lo, hi: lo + LOW_BINS - 1 };
    };
    const done = gather.length > 0 ? await this.gathered(gather, binRange) : new Set<number>();
    if (done.size !== gather.length) throw new Error('tfjs-prune internal error: the k-th smallest left its histogram bin');
    const refine = rest.filter((gi) => !done.has(gi));
    if (refine.length === 0) return;
    this.selectTotal += refine.reduce((a, gi) => a + this.groupBytes(gi), 0);
    await pool.map(this.chunkJobs(refine, (gi) => ({ op: 'low' as const, group: gi, bin: (bins.get(gi) as { bin: number }).bin })), (job) => this.selectProgress(job));
    const low = sumCollected(await pool.collect(), 'low');
    for (const gi of refine) {
      const { bin, rank } = bins.get(gi) as { bin: number; rank: number };
      this.bitsOf.set(gi, bin * 2 ** TOP_SHIFT + pickBin(low.get(gi) as Float64Array, rank).bin);
    }
    await pool.map(this.chunkJobs(refine, (gi) => ({ op: 'count' as const, bits: this.bitsOf.get(gi) as number })), (job, r) => {
      const x = r as { lt: number; eq: number };
      this.selectProgress(job);
      groups[job.gi].lt[job.ci] = x.lt;
      groups[job.gi].eq[job.ci] = x.eq;
    });
  }

  /**
   * Per chunk, the magnitudes gathered in a range and the count below it; for the groups whose k-th
   * smallest lies in the range, the threshold and the per-chunk counts at it (returned as settled).
   */
  private async gathered(gs: number[], range: (gi: number) => { lo: number; hi: number }): Promise<Set<number>> {
    const { groups } = this;
    const values = new Map<number, Uint32Array[]>();
    const below = new Map<number, number[]>();
    const stored = new Map<number, number>();
    for (const gi of gs) {
      values.set(gi, new Array(groups[gi].chunks.length).fill(EMPTY));
      below.set(gi, new Array(groups[gi].chunks.length).fill(0));
      stored.set(gi, 0);
    }
    const jobs = this.chunkJobs(gs, (gi) => ({ op: 'gather' as const, ...range(gi) }));
    await this.pool.map(jobs, (job, r) => {
      const x = r as { below: number; values: Uint32Array } & NaNCount;
      this.selectProgress(job);
      this.noteNaN(job, x);
      (below.get(job.gi) as number[])[job.ci] = x.below;
      const total = (stored.get(job.gi) as number) + x.values.length;
      stored.set(job.gi, total);
      if (total <= GATHER_CAP) (values.get(job.gi) as Uint32Array[])[job.ci] = x.values;
    });
    this.throwNaN();
    const settled = new Set<number>();
    for (const gi of gs) {
      const g = groups[gi];
      if (g.k === 0) continue;
      const totalBelow = (below.get(gi) as number[]).reduce((a, b) => a + b, 0);
      const count = stored.get(gi) as number;
      if (count > GATHER_CAP || !(totalBelow < g.k && totalBelow + count >= g.k)) continue;
      const parts = values.get(gi) as Uint32Array[];
      const bits = selectGathered(parts, g.k - totalBelow);
      this.bitsOf.set(gi, bits);
      parts.forEach((v, ci) => {
        const c = countAt(v, bits);
        g.lt[ci] = (below.get(gi) as number[])[ci] + c.lt;
        g.eq[ci] = c.eq;
      });
      settled.add(gi);
    }
    return settled;
  }

  /** The prune pass: every tensor, chunk by chunk where its storage allows, else whole. */
  async prune(layouts: NMLayout[]): Promise<TensorOutcome[]> {
    const { entries } = this;
    const outcomes: TensorOutcome[] = entries.map((e) => ({ dtype: storageDtype(e), zerosBefore: 0, zerosAfter: 0, target: null, threshold: null, quantization: null }));
    const jobs = entries.flatMap((_, t) => this.pruneJobs(t, layouts[t], outcomes));
    const pruneTotal = jobs.reduce((a, j) => a + (j.op === 'tensor' ? entries[j.t].byteLength : 'start' in j ? this.bytesOf(j as Chunk) : 0), 0);
    let pruneDone = 0;
    let failure: { t: number; error: PruneError } | null = null;
    await this.pool.map(jobs, (job, r) => {
      const o = outcomes[job.t];
      const pieces = (r as Sized | null)?.pieces;
      if (pieces !== undefined) this.opts.passSizes?.receive(pieces);
      if (job.op === 'tensor') {
        const x = r as Omit<TensorResult, 'bytes'>;
        if (x.nan !== undefined) {
          if (failure === null || job.t < failure.t) failure = { t: job.t, error: nanError(entries[job.t], x.nan.count, x.nan.first, this.weightData) };
        } else outcomes[job.t] = { dtype: x.dtype, zerosBefore: x.zerosBefore, zerosAfter: x.zerosAfter, target: x.target, threshold: x.threshold, quantization: x.quantization };
        pruneDone += entries[job.t].byteLength;
      } else if (job.op === 'copy') {
        const z = (r as { zeros: number }).zeros;
        o.zerosBefore += z;
        o.zerosAfter += z;
        pruneDone += this.bytesOf(job);
      } else if (job.op === 'prune') {
        const x = r as { zerosBefore: number; zerosAfter: number };
        o.zerosBefore += x.zerosBefore;
        o.zerosAfter += x.zerosAfter;
        pruneDone += this.bytesOf(job);
      }
      this.opts.onProgress?.('prune', pruneDone, pruneTotal);
    });
    if (failure !== null) throw (failure as { error: PruneError }).error;
    return outcomes;
  }

  /** Tensor t's jobs in the prune pass: chunks copied, chunks pruned by its group's plan, or the whole tensor. */
  private pruneJobs(t: number, layout: NMLayout, outcomes: TensorOutcome[]): (Job & { t: number })[] {
    const e = this.entries[t];
    const d = this.decisions[t];
    const exportQ = this.exportQ;
    if (e.dtype !== 'float32' || (!d.prune && (exportQ === null || e.quant !== null))) return this.chunksOf(t).map((c) => ({ op: 'copy', ...c }));
    const member = this.groupOf.get(t);
    const g = member === undefined ? null : this.groups[member.g];
    const plan = g?.plan ?? null;
    if (g !== null && plan !== null && e.quant === null && exportQ === null) {
      outcomes[t] = { dtype: 'float32', zerosBefore: 0, zerosAfter: 0, target: d.sparsity, threshold: plan.threshold, quantization: null };
      const counts = plan.counts === null ? null : plan.counts[(member as { j: number }).j];
      let eqBefore = 0;
      const jobs: (Job & { t: number })[] = [];
      g.chunks.forEach((c, ci) => {
        if (c.t !== t) return;
        let pick: ChunkPick = { zero: true };
        if (counts !== null) {
          const take = Math.max(0, Math.min(g.eq[ci], counts.take - eqBefore));
          eqBefore += g.eq[ci];
          pick = { zero: false, bits: plan.bits, lt: g.lt[ci], eq: g.eq[ci], take };
        }
        jobs.push({ op: 'prune', pick, ...c });
      });
      return jobs;
    }
    const poolPlan = d.pool && plan !== null ? { bits: plan.bits, threshold: plan.threshold, counts: plan.counts === null ? null : plan.counts[(member as { j: number }).j] } : null;
    return [{ op: 'tensor', t, task: { decision: d, layout, quantize: exportQ, pool: poolPlan } }];
  }
}

function sumCollected(parts: Collected[], key: 'top' | 'low'): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (const p of parts) {
    for (const [g, h] of p[key]) {
      const acc = out.get(g);
      if (acc === undefined) out.set(g, h);
      else for (let b = 0; b < h.length; b++) acc[b] += h[b];
    }
  }
  return out;
}

// The message of the in-memory path's NaN error (engine.ts), with the shard file and offset.
function nanError(e: TensorEntry, count: number, first: number, weightData: object): NaNWeightsError {
  const per = e.size === 0 ? 0 : e.byteLength / e.size;
  const loc = locate(weightData, e.name, e.byteOffset + first * per);
  return new NaNWeightsError(
    `${FNAME}: tensor '${e.name}' (float32[${e.shape.join(',')}]) holds ${count} NaN value${count === 1 ? '' : 's'}, ` +
      `the first at element ${first} (${describeLocation(loc)}); a NaN has no magnitude to rank`,
    count,
    first,
  );
}

/** The weight bytes of a model on disk (the sum of its shards' sizes), from model.json and the file sizes. */
export async function weightBytesOnDisk(input: string, options: LoadArtifactsOptions = {}): Promise<number> {
  const m = await openModel(input, 'weightBytesOnDisk', checkLimits('weightBytesOnDisk', options));
  return m.inputFiles.reduce((a, f) => a + f.size, 0);
}

// ---- reading the model -----------------------------------------------------------------------

interface OpenModel {
  entries: TensorEntry[];
  inputFiles: FileSpan[];
  /** The model.json fields (no weights). */
  artifacts: ModelArtifacts;
  /** Stands for the weight data in messages (origin.ts records its files). */
  weightData: object;
  /** The model's directory after symbolic links: every shard is in it unless outside paths are allowed. */
  root: string;
}

/** model.json read and parsed, its shards not yet looked at. */
export interface ModelHead {
  file: string;
  model: Record<string, unknown> | null;
  groups: ReturnType<typeof parseModelText>['groups'];
}

/** Reads and parses model.json (or a bare manifest): the first step of openModel. */
export async function readModelHead(input: string, fname: string, limits: ReadLimits): Promise<ModelHead> {
  const file = await findModelFile(input, fname, limits.allowOutsidePaths);
  const text = await readModelText(fname, file, limits.maxJsonBytes);
  return { file, ...parseModelText(text, file, fname) };
}

/**
 * The weight bytes the manifest declares (its specs' shapes and storage dtypes; strings count 0):
 * what pruneDirectory decides its thread count on before the shards are checked.
 */
export function declaredWeightBytes(head: ModelHead): number {
  let total = 0;
  for (const g of head.groups) {
    for (const w of g.weights as unknown[]) {
      const spec = w as Partial<WeightSpec> | null;
      if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.shape)) continue;
      const size = spec.shape.reduce((a: number, d) => a * (typeof d === 'number' && d > 0 ? d : 0), 1);
      total += size * elementBytes({ dtype: spec.dtype ?? 'float32', quant: (spec.quantization?.dtype as 'uint8' | 'uint16' | 'float16' | undefined) ?? null } as Pick<TensorEntry, 'dtype' | 'quant'>);
    }
  }
  return total;
}

/**
 * Reads model.json and checks it against the shard files' sizes, as loadArtifacts +
 * pruneArtifacts do, without reading the weights (string tensors excepted: their lengths are
 * read from the shards).
 */
export async function openModel(input: string, fname: string, limits: ReadLimits, head?: ModelHead): Promise<OpenModel> {
  const { file, model, groups } = head ?? (await readModelHead(input, fname, limits));
  const where = await modelDir(file, fname);
  const seen = new Map<string, string>();
  const inputFiles: FileSpan[] = [];
  const specs: WeightSpec[] = [];
  let base = 0;
  for (const group of groups) {
    // Every shard's path and size looked up at once (one after the other, a model of 477 shards
    // took 60-200 ms here); the first failure in manifest order is the one reported.
    const looked = await Promise.allSettled(group.paths.map((name) => lookShard(fname, file, where, name, limits.allowOutsidePaths)));
    const spans: FileSpan[] = [];
    let off = 0;
    for (const r of looked) {
      if (r.status === 'rejected') throw r.reason;
      const { shard, st } = r.value;
      noteShard(seen, fname, file, shard, st);
      spans.push({ path: shard, start: off, size: st.size });
      off += st.size;
    }
    // Group by group, as loadArtifacts checks it (the same error for the same model).
    if (limits.maxBytes !== null && base + off > limits.maxBytes) throw overCap(fname, file, 'the weight shards hold at least', base + off, limits.maxBytes, 'maxBytes');
    const token = {};
    recordWeightFiles(token, spans.map((s) => ({ file: s.path, byteOffset: s.start, byteLength: s.size })));
    parseWeightSpecs(group.weights, new FileBytes(spans, fname), { fname, file, weightData: token });
    for (const s of spans) inputFiles.push({ ...s, start: s.start + base });
    specs.push(...(group.weights as WeightSpec[]));
    base += off;
  }
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${file}: tensor '${s.name}' appears in two weight groups`, { file, tensor: s.name });
    names.add(s.name);
  }
  const weightData = {};
  recordWeightFiles(weightData, inputFiles.map((s): WeightFile => ({ file: s.path, byteOffset: s.start, byteLength: s.size })));
  const entries = parseWeightSpecs(specs, new FileBytes(inputFiles, fname), { fname, weightData });
  const artifacts: ModelArtifacts = { weightSpecs: specs };
  copyModelFields(model, artifacts);
  return { entries, inputFiles, artifacts, weightData, root: where.root };
}

/** A shard's checked path and its stat. */
async function lookShard(fname: string, file: string, where: Awaited<ReturnType<typeof modelDir>>, name: string, allowOutside: boolean) {
  const shard = await shardPath(fname, where, name, allowOutside);
  const st = await stat(shard).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new ModelFormatError('WEIGHTS_MISMATCH', `${fname}: weight shard ${shard}, listed in ${file}, is missing`, { file: shard, byteOffset: 0 });
    throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${shard}: ${e.code ?? e.message}`, shard);
  });
  if (!st.isFile()) throw new ModelIOError('IO_ERROR', `${fname}: weight shard ${shard}, listed in ${file}, is not a file`, shard);
  return { shard, st };
}

// ---- options ---------------------------------------------------------------------------------

interface CheckedOptions {
  overwrite: boolean;
  shardBytes: number;
  fileName: string | undefined;
  threads: number | undefined;
  chunkBytes: number;
  onProgress: PruneDirectoryOptions['onProgress'];
  passSizes: PassSink | undefined;
  limits: ReadLimits;
}

const OPTION_KEYS = ['overwrite', 'shardBytes', 'fileName', 'threads', 'chunkBytes', 'onProgress', 'passSizes', ...LIMIT_KEYS];

function checkOptions(options: PruneDirectoryOptions): CheckedOptions {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new ArgumentError(`${FNAME}: unknown option '${key}' (known: ${OPTION_KEYS.join(', ')})`);
  }
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw new ArgumentError(`${FNAME}: overwrite must be a boolean`);
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) throw new ArgumentError(`${FNAME}: shardBytes must be a positive integer, got ${String(shardBytes)}`);
  const fileName = options.fileName;
  if (fileName !== undefined && (typeof fileName !== 'string' || fileName === '' || fileName !== path.basename(fileName) || !fileName.endsWith('.json'))) {
    throw new ArgumentError(`${FNAME}: fileName must be a plain file name ending in .json, got ${String(fileName)}`);
  }
  const threads = options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0 || threads > 256)) throw new ArgumentError(`${FNAME}: threads must be an integer in [0, 256], got ${String(threads)}`);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > 2 ** 30) throw new ArgumentError(`${FNAME}: chunkBytes must be an integer in [1, 2^30], got ${String(chunkBytes)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ArgumentError(`${FNAME}: onProgress must be a function`);
  const passSizes = options.passSizes;
  if (passSizes !== undefined && (passSizes === null || typeof passSizes.plan !== 'function' || typeof passSizes.receive !== 'function')) throw new ArgumentError(`${FNAME}: passSizes must be an object with plan() and receive() (src/node/dir_sizes.ts)`);
  return { overwrite, shardBytes, fileName, threads, chunkBytes, onProgress: options.onProgress, passSizes, limits: checkLimits(FNAME, options, OPTION_KEYS) };
}

// ---- running jobs ------------------------------------------------------------------------------

interface Pool {
  /** Runs the jobs (any order, any thread); `done` sees each result in the calling thread. */
  map<J extends Job>(jobs: J[], done: (job: J, result: JobResult) => void): Promise<void>;
  /** Each runner's histograms since the last collect. */
  collect(): Promise<Collected[]>;
  close(): Promise<void>;
}

/** Longest stretch of inline jobs between two turns of the event loop. */
const YIELD_MS = 5;

class InlinePool implements Pool {
  private readonly runner: JobRunner;
  constructor(setup: RunnerSetup) {
    this.runner = new JobRunner(setup);
  }

  async map<J extends Job>(jobs: J[], done: (job: J, result: JobResult) => void): Promise<void> {
    // The event loop gets a turn every few milliseconds, so that work started beside the prune
    // (the CLI's gzip sizes on the thread pool) keeps its threads busy.
    let turn = performance.now();
    for (const job of jobs) {
      done(job, this.runner.run(job).result);
      if (performance.now() - turn > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
    }
  }

  async collect(): Promise<Collected[]> {
    return [this.runner.run({ op: 'collect' }).result as Collected];
  }

  async close(): Promise<void> {
    this.runner.close();
  }
}

/** Batches sent to a worker ahead of its answers. */
const IN_FLIGHT = 2;
/** A pass's jobs are cut into about this many batches per worker, of at most MAX_BATCH jobs. */
const BATCHES_PER_WORKER = 16;
const MAX_BATCH = 64;

class WorkerPool implements Pool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: JobResult[]) => void; reject: (e: unknown) => void }>();
  private broken: unknown = null;
  private closed = false;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (msg: { id: number; results?: JobResult[]; error?: SerializedError }) => {
        const p = this.pending.get(msg.id);
        if (p === undefined) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(deserializeError(msg.error));
        else p.resolve(msg.results ?? []);
      });
      const fail = (e: unknown) => {
        this.broken ??= e;
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      w.on('error', (e) => fail(new Error(`tfjs-prune internal error: a ${FNAME} worker failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closed) fail(new Error(`tfjs-prune internal error: a ${FNAME} worker exited (code ${code})`));
      });
    }
  }

  /** Starts n workers; they load the kernels and wait for `setup`. */
  static boot(n: number, init: { forceScalar: boolean; chunkLength: number }): WorkerPool {
    const url = workerScript();
    return new WorkerPool(Array.from({ length: n }, () => new Worker(url, { workerData: { init } })));
  }

  /** Hands every worker the model's layout (before any job). */
  setup(setup: RunnerSetup): this {
    for (const w of this.workers) w.postMessage({ setup } satisfies WorkerMessage);
    return this;
  }

  /** Runs a batch of jobs on one worker, in order; their results in order. */
  private send(w: Worker, jobs: Job[]): Promise<JobResult[]> {
    if (this.broken !== null) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, jobs } satisfies WorkerMessage);
    });
  }

  async map<J extends Job>(jobs: J[], done: (job: J, result: JobResult) => void): Promise<void> {
    // Jobs go in batches (about BATCHES_PER_WORKER per worker and pass): every message costs this
    // thread some CPU, and a worker's answer wakes it, which on a machine with no idle core takes
    // the core from a worker (per job, the workers spent 0.4-0.7 s of a 2 GB prune in postMessage).
    const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(jobs.length / (this.workers.length * BATCHES_PER_WORKER))));
    let next = 0;
    let stop = false;
    // Each worker has its next batches queued while it runs one: it never waits for this thread
    // to answer (on a busy machine this thread gets the CPU late, and the workers sat idle).
    const lane = async (w: Worker) => {
      const queued: { batch: J[]; results: Promise<JobResult[]> }[] = [];
      try {
        for (;;) {
          while (queued.length < IN_FLIGHT && next < jobs.length && !stop) {
            const batch = jobs.slice(next, next + size);
            next += batch.length;
            const plain = batch.map((job) => {
              const { gi: _g, ci: _c, ...rest } = job as J & { gi?: number; ci?: number };
              return rest as Job;
            });
            const results = this.send(w, plain);
            results.catch(() => undefined); // awaited in order below, or dropped once the lane has failed
            queued.push({ batch, results });
          }
          const head = queued.shift();
          if (head === undefined) return;
          const results = await head.results;
          head.batch.forEach((job, i) => done(job, results[i]));
        }
      } catch (e) {
        stop = true; // the other threads stop after their current batches
        throw e;
      }
    };
    const lanes = this.workers.map(lane);
    const results = await Promise.allSettled(lanes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async collect(): Promise<Collected[]> {
    return (await Promise.all(this.workers.map((w) => this.send(w, [{ op: 'collect' }])))).map((r) => r[0] as Collected);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage({ close: true });
            // A worker stuck in a job is terminated rather than waited for.
            setTimeout(() => void w.terminate(), 5000).unref();
          }),
      ),
    );
  }
}

/** The built worker entry: beside this module in dist/, or dist/ of the package when run from sources. */
function workerScript(): URL {
  const candidates = ['./stream-worker.mjs', '../stream-worker.mjs', '../../dist/stream-worker.mjs'].map((p) => new URL(p, import.meta.url));
  for (const u of candidates) if (existsSync(fileURLToPath(u))) return u;
  const here = fileURLToPath(import.meta.url);
  throw new ModelIOError('IO_ERROR', `${FNAME}: the worker script stream-worker.mjs was not found beside ${here} (build the package, or pass { threads: 0 })`, here);
}

function deserializeError(s: SerializedError): Error {
  const f = s.fields;
  let e: Error;
  switch (s.name) {
    case 'ModelIOError':
      e = new ModelIOError(s.code as 'IO_ERROR' | 'OUTPUT_EXISTS', s.message, String(f.file ?? ''));
      break;
    case 'ModelFormatError':
      e = new ModelFormatError(s.code as 'MALFORMED_MODEL' | 'WEIGHTS_MISMATCH', s.message, { file: f.file as string | undefined, tensor: f.tensor as string | undefined, byteOffset: f.byteOffset as number | undefined });
      break;
    case 'NaNWeightsError':
      e = new NaNWeightsError(s.message, Number(f.count), Number(f.firstIndex));
      break;
    case 'ArgumentError':
      e = new ArgumentError(s.message);
      break;
    default:
      e = s.code !== undefined ? new PruneError(s.code as PruneErrorCode, s.message) : new Error(s.message);
      // A system call's error (a worker's write into a full disk or past a file-size limit) keeps
      // its code and call, so that it is reported as the calling thread's own would be.
      if (s.code === undefined && typeof f.code === 'string' && typeof f.syscall === 'string') Object.assign(e, { code: f.code, syscall: f.syscall });
  }
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
}
