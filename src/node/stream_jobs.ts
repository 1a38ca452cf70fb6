/// <reference types="node" />
// The jobs of pruneDirectory's passes, run by a worker thread (stream_worker.ts) or, with
// `threads: 0`, in the calling thread. A runner reads its chunks straight from the input shard
// files and writes its results straight into the output shard files at their final offsets, so
// no weight bytes travel between threads and the order in which jobs finish does not matter.
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ModelFormatError, ModelIOError } from '../errors.js';
import type { TensorEntry } from '../format/index.js';
import { GZIP_LEVEL, PieceCutter, type PassPieces, type PassPlan } from '../model/sizes.js';
import { openShardSync } from './untrusted.js';
import { allocWeights, type WasmWeights } from '../wasm/index.js';
import {
  chunkEntry,
  chunkZeros,
  countAt,
  elementBytes,
  codeTable,
  gatherRange,
  gatherWeights,
  sampleRuns,
  histLow,
  histTop,
  LOW_BINS,
  magnitudeBits,
  pruneChunk,
  pruneTensor,
  TOP_BINS,
  type ChunkPick,
  type NaNCount,
  type TensorResult,
  type TensorTask,
} from '../model/stream.js';

/** A file holding bytes [start, start + size) of a concatenation. */
export interface FileSpan {
  path: string;
  start: number;
  size: number;
}

export interface RunnerSetup {
  fname: string;
  entries: TensorEntry[];
  input: FileSpan[];
  /** The model's real directory, which every input file must still be in when opened (null: outside paths allowed). */
  inputRoot: string | null;
  output: FileSpan[];
  /** Where each tensor starts in the output weight data. */
  outOffsets: number[];
  /** The output's gzip sizes measured as it is written (src/model/sizes.ts, PassPlan), or none. */
  sizes?: PassPlan | null;
}

interface Range {
  t: number;
  start: number;
  end: number;
}

export type Job =
  | ({ op: 'top'; group: number } & Range)
  | ({ op: 'sample'; group: number; g0: number } & Range)
  | ({ op: 'gather'; lo: number; hi: number } & Range)
  | ({ op: 'low'; group: number; bin: number } & Range)
  | ({ op: 'count'; bits: number } & Range)
  | ({ op: 'prune'; pick: ChunkPick } & Range)
  | ({ op: 'copy' } & Range)
  | { op: 'tensor'; t: number; task: TensorTask }
  | { op: 'create'; from: number; to: number }
  | { op: 'collect' };

export interface Collected {
  top: [number, Float64Array][];
  low: [number, Float64Array][];
}

/** What the prune pass's jobs also yield: the output's gzip pieces cut from what they wrote. */
export interface Sized {
  pieces?: PassPieces;
}

export type JobResult =
  | NaNCount
  | ({ below: number; values: Uint32Array } & NaNCount)
  | { lt: number; eq: number }
  | ({ zerosBefore: number; zerosAfter: number } & Sized)
  | ({ zeros: number } & Sized)
  | (Omit<TensorResult, 'bytes'> & Sized)
  | Collected
  | null;

/**
 * The largest read or write call. Measured on the 2 GB model (bench/e2e-floor.mjs `--io`, bench/
 * README.md "End to end"): copying through 3 MiB calls took 7 s, through 256 KiB calls 2.2–2.4 s,
 * the same bytes from the same buffer.
 */
const IO_BYTES = 256 * 1024;

/** Reads and writes byte ranges of a concatenation of files (file descriptors kept open). */
export class FileSet {
  private readonly fds = new Map<number, number>();
  constructor(
    private readonly files: readonly FileSpan[],
    private readonly flags: 'r' | 'r+',
    private readonly fname: string,
    private readonly root: string | null = null,
  ) {}

  private fd(i: number): number {
    let fd = this.fds.get(i);
    if (fd === undefined) {
      const f = this.files[i];
      try {
        fd = this.flags === 'r' ? openShardSync(this.fname, f.path, this.root) : openSync(f.path, this.flags);
      } catch (e) {
        if (e instanceof ModelFormatError) throw e;
        throw new ModelIOError('IO_ERROR', `${this.fname}: cannot open ${f.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, f.path);
      }
      this.fds.set(i, fd);
    }
    return fd;
  }

  private find(off: number): number {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.files[mid].start <= off) lo = mid;
      else hi = mid - 1;
    }
    while (lo < this.files.length - 1 && off >= this.files[lo].start + this.files[lo].size) lo++;
    return lo;
  }

  read(off: number, out: Uint8Array): void {
    let done = 0;
    let i = out.length > 0 ? this.find(off) : 0;
    while (done < out.length) {
      const f = this.files[i];
      const pos = off + done - f.start;
      const n = Math.min(f.size - pos, out.length - done);
      let got = 0;
      while (got < n) {
        const r = readSync(this.fd(i), out, done + got, Math.min(n - got, IO_BYTES), pos + got);
        if (r === 0) throw new ModelIOError('IO_ERROR', `${this.fname}: ${f.path} ended at byte ${pos + got} while being read (expected ${f.size} bytes; did it change?)`, f.path);
        got += r;
      }
      done += n;
      i++;
    }
  }

  write(off: number, bytes: Uint8Array): void {
    let done = 0;
    let i = bytes.length > 0 ? this.find(off) : 0;
    while (done < bytes.length) {
      const f = this.files[i];
      const pos = off + done - f.start;
      const n = Math.min(f.size - pos, bytes.length - done);
      let put = 0;
      while (put < n) put += writeSync(this.fd(i), bytes, done + put, Math.min(n - put, IO_BYTES), pos + put);
      done += n;
      i++;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** Gzip size at the report's level, native zlib in this thread (a worker's: src/model/sizes.ts, PassPlan). */
const gzipSize = (bytes: Uint8Array) => gzipSync(bytes, { level: GZIP_LEVEL, chunkSize: Math.max(16 * 1024, bytes.length + 1024) }).length;

/** A float32 view of bytes (copied when not aligned). */
const floatsOf = (b: Uint8Array, n: number) => (b.byteOffset % 4 === 0 ? new Float32Array(b.buffer, b.byteOffset, n) : new Float32Array(b.slice().buffer, 0, n));

export class JobRunner {
  private readonly input: FileSet;
  private readonly output: FileSet;
  private top = new Map<number, Float64Array>();
  private low = new Map<number, Float64Array>();
  private readonly luts = new Map<number, Uint32Array | null>();
  private scratch = new ArrayBuffer(0);
  private readonly cutter: PieceCutter | null;
  private noWasm = false;

  constructor(private readonly setup: RunnerSetup) {
    this.input = new FileSet(setup.input, 'r', setup.fname, setup.inputRoot);
    this.output = new FileSet(setup.output, 'r+', setup.fname);
    const plan = setup.sizes ?? null;
    this.cutter = plan === null ? null : new PieceCutter(plan, plan.compressWhereCut ? gzipSize : null);
  }

  /** The result with the gzip pieces cut from output bytes [from, …) of tensor t, as written (values: the whole float32 tensor, or null). */
  private sized(result: JobResult & object, t: number, from: number, bytes: Uint8Array, values: () => Float32Array | null): { result: JobResult; transfer: ArrayBuffer[] } {
    const pieces: PassPieces | null = this.cutter === null ? null : this.cutter.cut(t, from, bytes, values);
    if (pieces === null) return { result, transfer: [] };
    const transfer = pieces.frags.flatMap((f) => [f.out, f.q].filter((b): b is Uint8Array => b instanceof Uint8Array).map((b) => b.buffer as ArrayBuffer));
    return { result: { ...result, pieces } as Sized as JobResult, transfer };
  }

  /** Runs a job; the result and the buffers to transfer with it. */
  run(job: Job): { result: JobResult; transfer: ArrayBuffer[] } {
    switch (job.op) {
      case 'top': {
        let h = this.top.get(job.group);
        if (h === undefined) this.top.set(job.group, (h = new Float64Array(TOP_BINS)));
        return { result: histTop(this.bits(job), h), transfer: [] };
      }
      case 'sample': {
        let h = this.top.get(job.group);
        if (h === undefined) this.top.set(job.group, (h = new Float64Array(TOP_BINS)));
        for (const [from, to] of sampleRuns(job.g0, job.end - job.start)) histTop(this.bits({ t: job.t, start: job.start + from, end: job.start + to }), h);
        return { result: null, transfer: [] };
      }
      case 'gather': {
        const r = this.inWasm(job, (w) => gatherWeights(w, job.lo, job.hi)) ?? gatherRange(this.bits(job), job.lo, job.hi);
        return { result: r, transfer: [r.values.buffer as ArrayBuffer] };
      }
      case 'low': {
        let h = this.low.get(job.group);
        if (h === undefined) this.low.set(job.group, (h = new Float64Array(LOW_BINS)));
        histLow(this.bits(job), job.bin, h);
        return { result: null, transfer: [] };
      }
      case 'count':
        return { result: countAt(this.bits(job), job.bits), transfer: [] };
      case 'prune': {
        const at = this.setup.outOffsets[job.t] + job.start * 4;
        const whole = job.start === 0 && job.end === this.setup.entries[job.t].size;
        const inPlace = this.inWasm(job, (w) => {
          const r = pruneChunk(w, job.pick);
          const a = w.array; // a fresh view: the kernels may have grown the memory
          const written = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
          this.output.write(at, written);
          // The cutter measures or copies what it needs before the Wasm memory is freed.
          return this.sized(r, job.t, job.start * 4, written, () => (whole ? a : null));
        });
        if (inPlace !== null) return inPlace;
        const { e, bytes } = this.chunk(job);
        const r = pruneChunk(new Float32Array(bytes, 0, e.size), job.pick);
        const written = new Uint8Array(bytes, 0, e.byteLength);
        this.output.write(at, written);
        return this.sized(r, job.t, job.start * 4, written, () => (whole ? new Float32Array(bytes, 0, e.size) : null));
      }
      case 'copy': {
        const { e, bytes } = this.chunk(job);
        const zeros = chunkZeros(e, bytes);
        const per = elementBytes(e);
        const written = new Uint8Array(bytes, 0, e.byteLength);
        this.output.write(this.setup.outOffsets[job.t] + job.start * per, written);
        const full = this.setup.entries[job.t];
        const f32 = full.dtype === 'float32' && full.quant === null && job.start === 0 && job.end === full.size;
        return this.sized({ zeros }, job.t, job.start * per, written, () => (f32 ? new Float32Array(bytes, 0, e.size) : null));
      }
      case 'tensor': {
        const e = this.setup.entries[job.t];
        const { e: whole, bytes } = this.chunk({ t: job.t, start: 0, end: e.size });
        const { bytes: out, ...rest } = pruneTensor(whole, bytes, job.task);
        if (rest.nan !== undefined) return { result: rest, transfer: [] };
        this.output.write(this.setup.outOffsets[job.t], out);
        const f32 = e.dtype === 'float32' && e.quant === null && job.task.quantize === null;
        return this.sized(rest, job.t, 0, out, () => (f32 ? floatsOf(out, e.size) : null));
      }
      case 'create':
        for (let i = job.from; i < job.to; i++) {
          const f = this.setup.output[i];
          const fd = openSync(f.path, 'w');
          try {
            ftruncateSync(fd, f.size);
          } finally {
            closeSync(fd);
          }
        }
        return { result: null, transfer: [] };
      case 'collect': {
        const result: Collected = { top: [...this.top], low: [...this.low] };
        this.top = new Map();
        this.low = new Map();
        return { result, transfer: [...result.top.map(([, h]) => h.buffer as ArrayBuffer), ...result.low.map(([, h]) => h.buffer as ArrayBuffer)] };
      }
    }
  }

  close(): void {
    this.input.close();
    this.output.close();
  }

  /**
   * Elements [start, end) of tensor t at byte 0 of the runner's scratch buffer (valid until the
   * next read; jobs copy out whatever they keep), with their entry.
   */
  private chunk(r: Range): { e: TensorEntry; bytes: ArrayBuffer } {
    const full = this.setup.entries[r.t];
    const e = chunkEntry(full, r.start, r.end);
    const per = elementBytes(full);
    if (this.scratch.byteLength < e.byteLength) this.scratch = new ArrayBuffer(Math.max(e.byteLength, this.scratch.byteLength * 2));
    this.input.read(full.byteOffset + r.start * per, new Uint8Array(this.scratch, 0, e.byteLength));
    return { e, bytes: this.scratch };
  }

  /**
   * Runs fn on elements [start, end) of a float32 tensor read straight into Wasm memory, where the
   * kernels work on them in place: no copy into their window and back (on the 2 GB model those
   * copies were about a tenth of the workers' time). null, and fn not called, for other storage or
   * when Wasm memory cannot take the chunk (the caller then reads it into its scratch buffer).
   */
  private inWasm<T>(r: Range, fn: (w: WasmWeights) => T): T | null {
    const e = this.setup.entries[r.t];
    if (e.dtype !== 'float32' || e.quant !== null || this.noWasm) return null;
    let w: WasmWeights;
    try {
      w = allocWeights(r.end - r.start);
    } catch {
      this.noWasm = true; // the pure-JS build, or a chunk too large for a 4 GiB memory
      return null;
    }
    try {
      const a = w.array;
      this.input.read(e.byteOffset + r.start * 4, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return fn(w);
    } finally {
      w.free();
    }
  }

  private bits(r: Range): Uint32Array {
    const { e, bytes } = this.chunk(r);
    let lut = this.luts.get(r.t);
    if (lut === undefined) this.luts.set(r.t, (lut = codeTable(e)));
    return magnitudeBits(e, bytes, lut);
  }
}
