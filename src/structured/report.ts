// pruneStructured's report as a plain-text table, in the style of formatReport.
import type { StructuredReport } from './types.js';

export interface FormatStructuredReportOptions {
  /** List every layer (default false: only layers with units, weights or a note). */
  all?: boolean;
}

/** The report as a monospace table: per layer units, params and FLOPs before -> after, then totals. */
export function formatStructuredReport(report: StructuredReport, options: FormatStructuredReportOptions = {}): string {
  const rows: string[][] = [['layer', 'class', 'units', 'params', 'FLOPs', 'note']];
  for (const l of report.layers) {
    if (!options.all && l.unitsBefore === null && l.paramsBefore === 0 && l.note === null) continue;
    rows.push([
      l.name,
      l.className,
      l.unitsBefore === null ? '-' : arrow(l.unitsBefore, l.unitsAfter as number),
      arrow(l.paramsBefore, l.paramsAfter),
      arrow(l.flopsBefore, l.flopsAfter),
      l.note ?? '',
    ]);
  }
  const right = new Set([2, 3, 4]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ').trimEnd(), ...rows.slice(1).map(line)];
  const t = report.totals;
  const pruned = report.groups.filter((g) => g.unitsAfter < g.unitsBefore).length;
  out.push('');
  out.push(`structured (importance ${report.importance}, sparsity ${pct(report.sparsity)}, scope ${report.scope}${report.roundTo > 1 ? `, roundTo ${report.roundTo}` : ''})`);
  out.push(`groups pruned:  ${pruned} of ${report.groups.length}`);
  out.push(`units:          ${arrow(t.unitsBefore, t.unitsAfter)} (${ratio(t.unitsBefore, t.unitsAfter)})`);
  out.push(`params:         ${arrow(t.paramsBefore, t.paramsAfter)} (${ratio(t.paramsBefore, t.paramsAfter)})`);
  out.push(`FLOPs/example:  ${arrow(t.flopsBefore, t.flopsAfter)} (${ratio(t.flopsBefore, t.flopsAfter)})`);
  return out.join('\n');
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function arrow(a: number, b: number): string {
  return a === b ? int(a) : `${int(a)} -> ${int(b)}`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function ratio(a: number, b: number): string {
  return a === 0 ? '-' : `${pct(1 - b / a)} fewer`;
}
