// Report totals and the text rendering (an estimated gzip size is written `≈`), and the
// single-stream gzip counter of pruneModel and gzipSize (pruneArtifacts measures in pieces:
// sizes.ts).
//
// Gzip sizes here come from fflate (pure JS, so Node and browsers agree byte for byte): level 6,
// mtime 0, over the weight bytes in manifest order fed in 1 MiB blocks whatever the tensor or
// shard boundaries, so a size depends on the bytes alone.
import { Gzip } from 'fflate';
import type { ModelPruneReport, PruneMethod, QuantizeDtype, SizeReport, TensorPruneReport } from './types.js';

const BLOCK = 1 << 20;

/** Counts the gzip size of a byte stream fed in pieces. */
export class GzipCounter {
  private readonly gz: Gzip;
  private readonly block = new Uint8Array(BLOCK);
  private fill = 0;
  private size = 0;
  raw = 0;

  constructor() {
    this.gz = new Gzip({ level: 6, mtime: 0 }, (chunk) => {
      this.size += chunk.length;
    });
  }

  push(bytes: Uint8Array): void {
    this.raw += bytes.length;
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(BLOCK - this.fill, bytes.length - off);
      this.block.set(bytes.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === BLOCK) {
        this.gz.push(this.block.slice());
        this.fill = 0;
      }
    }
  }

  finish(): SizeReport {
    this.gz.push(this.block.slice(0, this.fill), true);
    this.fill = 0;
    return { raw: this.raw, gzip: this.size };
  }
}

/** The gzip size of some bytes (same stream rules as the report). */
export function gzipSize(bytes: Uint8Array): number {
  const g = new GzipCounter();
  g.push(bytes);
  return g.finish().gzip as number;
}

export function buildReport(
  format: string,
  scope: 'layer' | 'global',
  method: PruneMethod,
  sparsity: number | null,
  tensors: TensorPruneReport[],
  bytes: { before: SizeReport; after: SizeReport; quantized: SizeReport & { dtype: QuantizeDtype } },
): ModelPruneReport {
  let params = 0;
  let prunedParams = 0;
  let zerosBefore = 0;
  let zerosAfter = 0;
  let prunedZeros = 0;
  for (const t of tensors) {
    params += t.params;
    zerosBefore += t.zerosBefore;
    zerosAfter += t.zerosAfter;
    if (t.method !== null) {
      prunedParams += t.params;
      prunedZeros += t.zerosAfter;
    }
  }
  return {
    format,
    scope,
    method,
    sparsity,
    tensors,
    totals: {
      params,
      prunedParams,
      zerosBefore,
      zerosAfter,
      sparsity: params === 0 ? 0 : zerosAfter / params,
      prunedSparsity: prunedParams === 0 ? 0 : prunedZeros / prunedParams,
    },
    bytes,
  };
}

export interface FormatReportOptions {
  /** List unpruned tensors too (default false: only pruned ones, then a count of the rest). */
  all?: boolean;
}

/** The report as a plain-text table (monospace), for terminals and logs. */
export function formatReport(report: ModelPruneReport, options: FormatReportOptions = {}): string {
  const rows: string[][] = [['tensor', 'shape', 'dtype', 'params', 'zeros before', 'zeros after', 'sparsity', 'threshold', 'method']];
  const shown = options.all ? report.tensors : report.tensors.filter((t) => t.method !== null);
  for (const t of shown) {
    rows.push([
      t.name,
      `[${t.shape.join(',')}]`,
      t.dtype,
      int(t.params),
      int(t.zerosBefore),
      int(t.zerosAfter),
      pct(t.sparsity),
      t.threshold === null ? '-' : t.threshold.toPrecision(4),
      t.method ?? `- (${t.reason})`,
    ]);
  }
  const right = new Set([3, 4, 5, 6, 7]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const hidden = report.tensors.length - shown.length;
  if (hidden > 0) out.push(`(${hidden} tensor${hidden === 1 ? '' : 's'} not pruned: biases, normalization, integer or excluded)`);
  const tt = report.totals;
  const target = report.sparsity === null ? report.method : `${report.method}, sparsity ${pct(report.sparsity)}, scope ${report.scope}`;
  out.push('');
  out.push(`${report.format} (${target})`);
  out.push(`pruned tensors: ${int(tt.prunedParams)} params, sparsity ${pct(tt.prunedSparsity)}`);
  out.push(`whole model:    ${int(tt.params)} params, zeros ${int(tt.zerosBefore)} -> ${int(tt.zerosAfter)}, sparsity ${pct(tt.sparsity)}`);
  const b = report.bytes;
  out.push(`weight bytes:   ${size(b.before)} -> ${size(b.after)}; ${b.quantized.dtype}: ${size(b.quantized)}`);
  return out.join('\n');
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function size(s: SizeReport): string {
  return s.gzip === null ? `${bytes(s.raw)} raw` : `${bytes(s.raw)} raw, ${s.estimated ? '≈' : ''}${bytes(s.gzip)} gzip`;
}
