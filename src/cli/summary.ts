// The summary tables printed on stdout: per tensor (grouped by layer), totals and sizes.
import type { ModelPruneReport, SizeReport } from '../tfjs.js';
import { bytes, pct } from './svg.js';

const int = (n: number) => n.toLocaleString('en-US');

/** Columns padded to their widest cell; `right` holds the indices of right-aligned columns. */
export function textTable(rows: string[][], right: Set<number>, rule = true): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (right.has(c) ? (cell ?? '').padStart(widths[c]) : (cell ?? '').padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0])];
  if (rule) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  out.push(...rows.slice(1).map(line));
  return out.join('\n');
}

function change(before: number, after: number): string {
  if (before === 0) return '';
  const d = (after - before) / before;
  if (Math.abs(d) < 0.0005) return '0.0%';
  return `${d <= 0 ? '-' : '+'}${Math.abs(d * 100).toFixed(1)}%`;
}

function sizeRows(label: string, s: SizeReport, base: SizeReport | null): string[] {
  return [
    label,
    bytes(s.raw),
    s.gzip === null ? '-' : `${s.estimated ? '≈' : ''}${bytes(s.gzip)}`,
    base === null ? '' : base.gzip !== null && s.gzip !== null ? change(base.gzip, s.gzip) : change(base.raw, s.raw),
  ];
}

function prunedZeros(r: ModelPruneReport, key: 'zerosBefore' | 'zerosAfter'): number {
  return r.tensors.reduce((a, t) => a + (t.method === null ? 0 : t[key]), 0);
}

/** prune: the pruned tensors (all with `all`), totals, sizes before / after / quantized. */
export function pruneSummary(r: ModelPruneReport, options: { all: boolean; quantized: boolean; allHint?: boolean }): string {
  const rows: string[][] = [['layer', 'tensor', 'shape', 'params', 'sparsity before', 'after', 'threshold', 'method']];
  const shown = options.all ? r.tensors : r.tensors.filter((t) => t.method !== null);
  for (const t of shown) {
    const layer = t.layer ?? '-';
    const short = t.layer !== null && t.name.startsWith(`${t.layer}/`) ? t.name.slice(t.layer.length + 1) : t.name;
    rows.push([
      layer,
      short,
      `[${t.shape.join(',')}]`,
      int(t.params),
      pct(t.zerosBefore / Math.max(1, t.params), 2),
      pct(t.sparsity, 2),
      t.threshold === null ? '-' : t.threshold.toPrecision(4),
      t.method ?? `- (${t.reason})`,
    ]);
  }
  const out: string[] = [];
  if (shown.length > 0) out.push(textTable(rows, new Set([3, 4, 5, 6])));
  else out.push('no tensor was pruned');
  const hidden = r.tensors.length - shown.length;
  if (hidden > 0) out.push(`(${hidden} more tensor${hidden === 1 ? '' : 's'} not pruned: biases, normalization, integer or excluded${options.allHint === false ? '' : '; --all lists them'})`);
  const tt = r.totals;
  out.push('');
  out.push(
    textTable(
      [
        ['totals', 'params', 'zeros before', 'zeros after', 'sparsity'],
        ['pruned tensors', int(tt.prunedParams), int(prunedZeros(r, 'zerosBefore')), int(prunedZeros(r, 'zerosAfter')), pct(tt.prunedSparsity, 2)],
        ['whole model', int(tt.params), int(tt.zerosBefore), int(tt.zerosAfter), pct(tt.sparsity, 2)],
      ],
      new Set([1, 2, 3, 4]),
    ),
  );
  out.push('');
  const b = r.bytes;
  out.push(
    textTable(
      [
        ['weights', 'raw', 'gzip', 'change'],
        sizeRows('before', b.before, null),
        sizeRows(options.quantized ? `after (${b.quantized.dtype})` : 'after', b.after, b.before),
        ...(options.quantized ? [] : [sizeRows(`after as ${b.quantized.dtype} (estimate)`, b.quantized, b.before)]),
      ],
      new Set([1, 2, 3]),
    ),
  );
  return out.join('\n');
}

/** inspect: every tensor with its zeros, totals, sizes as stored and as uint8. */
export function inspectSummary(r: ModelPruneReport, options: { all: boolean }): string {
  const rows: string[][] = [['layer', 'tensor', 'class', 'shape', 'dtype', 'params', 'zeros', 'sparsity', 'default rule']];
  const shown = options.all ? r.tensors : r.tensors.filter((t) => t.method !== null || t.zerosAfter > 0);
  for (const t of shown) {
    const short = t.layer !== null && t.name.startsWith(`${t.layer}/`) ? t.name.slice(t.layer.length + 1) : t.name;
    rows.push([
      t.layer ?? '-',
      short,
      t.layerClass ?? '-',
      `[${t.shape.join(',')}]`,
      t.dtype,
      int(t.params),
      int(t.zerosAfter),
      pct(t.sparsity, 2),
      t.method !== null ? 'prune' : `keep (${t.reason})`,
    ]);
  }
  const out: string[] = [];
  out.push(shown.length > 0 ? textTable(rows, new Set([5, 6, 7])) : 'no prunable tensor and no zeros');
  const hidden = r.tensors.length - shown.length;
  if (hidden > 0) out.push(`(${hidden} more tensor${hidden === 1 ? '' : 's'} without zeros, not prunable by default; --all lists them)`);
  const tt = r.totals;
  out.push('');
  out.push(`${r.format}: ${int(tt.params)} params, ${int(tt.zerosAfter)} zeros, sparsity ${pct(tt.sparsity, 2)}; prunable tensors: ${int(tt.prunedParams)} params, sparsity ${pct(tt.prunedSparsity, 2)}`);
  out.push('');
  const b = r.bytes;
  out.push(
    textTable(
      [
        ['weights', 'raw', 'gzip', 'change'],
        sizeRows('as stored', b.after, null),
        sizeRows(`as ${b.quantized.dtype} (estimate)`, b.quantized, b.after),
      ],
      new Set([1, 2, 3]),
    ),
  );
  return out.join('\n');
}
