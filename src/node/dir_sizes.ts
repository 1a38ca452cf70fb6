/// <reference types="node" />
// The report's gzip sizes for a streamed prune (docs/streaming.md, "Sizes"): the same pieces,
// keys and estimate as pruneArtifacts (src/model/sizes.ts), so that memory holds a window of the
// model, never the model. The input's size is measured while pruneDirectory runs, read from the
// shard files a batch at a time (its reads and the compression overlap the pruning). The output's
// pieces are taken by the prune pass as it writes them (`pass`, handed to pruneDirectory as
// `passSizes`: compressed in the worker that pruned them, or on the thread pool beside an inline
// pass); what the pass could not take (a piece of no pruned tensor whose input figure was not
// measured, further rounds of a sample, the uint8 codes of a tensor pruned in chunks, an output
// quantized on export) is read back from the written files when the output exists.
import { open, type FileHandle } from 'node:fs/promises';
import { ModelIOError } from '../errors.js';
import type { TensorEntry } from '../format/index.js';
import { inputSize, outputSizes, PassSizes, sizeMeter, type GzipSizes, type PassSink, type SizeMeter } from '../model/sizes.js';
import { nodeGzipSizes } from './gzip.js';
import type { ModelPruneReport, QuantizeDtype, SizeReport } from '../model/types.js';
import { openModel } from './prune_directory.js';
import { checkLimits, type LoadArtifactsOptions } from './untrusted.js';
import type { FileSpan } from './stream_jobs.js';

export interface DirectorySizes {
  /** The input's size, measured in the background from the start. */
  before: Promise<SizeReport>;
  /** Pass as pruneDirectory's `passSizes`: the output's pieces measured as they are written. */
  pass: PassSink;
  /** The output's sizes, once `outModel` (the written model.json) exists. */
  finish(report: ModelPruneReport, outModel: string, exportQ: QuantizeDtype | null): Promise<ModelPruneReport['bytes']>;
  /** Stops reading the input (the prune failed): `before` then rejects, and nothing is left running. */
  cancel(): void;
}

/**
 * Starts measuring the model at `input` (a directory or model.json, checked as pruneDirectory checks
 * it, with the same limits: docs/model.md, "Pruning untrusted models").
 */
export async function directorySizes(input: string, gzipSizes: GzipSizes, fname = 'prune', options: LoadArtifactsOptions = {}): Promise<DirectorySizes> {
  const limits = checkLimits(fname, options);
  const { entries, inputFiles } = await openModel(input, fname, limits);
  const total = inputFiles.reduce((a, f) => a + f.size, 0);
  const meter: SizeMeter | null = sizeMeter(gzipSizes, entries, total);
  let cancelled = false;
  const before = withFiles(inputFiles, fname, (read) =>
    inputSize(meter, entries, total, (off, len) => {
      if (cancelled) throw new ModelIOError('IO_ERROR', `${fname}: gzip sizes cancelled`, input);
      return read(off, len);
    }),
  );
  before.catch(() => undefined); // awaited by finish; a failure there is reported there
  let pass: PassSizes | null = null;
  return {
    before,
    pass: {
      plan(pruned, exportQ, workers) {
        const plan = meter === null ? null : PassSizes.plan(meter, entries.map((e) => e.byteLength), pruned, exportQ, workers && gzipSizes === nodeGzipSizes);
        pass = plan === null ? null : new PassSizes(meter as SizeMeter, gzipSizes, plan);
        return plan;
      },
      receive(got) {
        pass?.receive(got);
      },
    },
    async finish(report, outModel, exportQ) {
      const b = await before;
      await pass?.done();
      const out = await openModel(outModel, fname, limits);
      const outTotal = out.inputFiles.reduce((a, f) => a + f.size, 0);
      const sizes = await withFiles(out.inputFiles, fname, (read) =>
        outputSizes(meter, gzipSizes, out.entries, outTotal, (t) => report.tensors[t].method !== null, exportQ, read, async (t) => floats(await read(out.entries[t].byteOffset, out.entries[t].byteLength), out.entries[t])),
      );
      return { before: b, after: sizes.after, quantized: sizes.quantized };
    },
    cancel() {
      cancelled = true;
    },
  };
}

/** A float32 tensor's values from its bytes (read into a fresh buffer, so aligned). */
function floats(bytes: Uint8Array, e: TensorEntry): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, e.size);
}

/** Runs `fn` with a reader of [off, off + len) of the concatenated shards, then closes them. */
async function withFiles<T>(files: FileSpan[], fname: string, fn: (read: (off: number, len: number) => Promise<Uint8Array>) => Promise<T>): Promise<T> {
  const handles = new Map<string, FileHandle>();
  try {
    return await fn(async (off, len) => {
      const out = new Uint8Array(len);
      let done = 0;
      for (const f of files) {
        if (done === len) break;
        const pos = off + done - f.start;
        if (pos < 0 || pos >= f.size) continue;
        const n = Math.min(f.size - pos, len - done);
        let h = handles.get(f.path);
        if (h === undefined) {
          h = await open(f.path, 'r');
          handles.set(f.path, h);
        }
        let got = 0;
        while (got < n) {
          const { bytesRead } = await h.read(out, done + got, n - got, pos + got);
          if (bytesRead === 0) throw new ModelIOError('IO_ERROR', `${fname}: ${f.path} ended early`, f.path);
          got += bytesRead;
        }
        done += n;
      }
      return out;
    });
  } finally {
    await Promise.all([...handles.values()].map((h) => h.close()));
  }
}
