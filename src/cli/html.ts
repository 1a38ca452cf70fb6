// report.html: one self-contained file (inline CSS and SVG, no script, no font, no network) with
// the charts and the tables of a prune, inspect or demo run. The report's data is embedded as JSON
// too (<script type="application/json" id="report-data">) for anyone who wants the numbers.
import { sensitivityChart } from '../sensitivity/chart.js';
import type { ModelPruneReport, OneShotReport, PruneConfig } from '../tfjs.js';
import type { TensorHistograms } from './histograms.js';
import { bytes, COLORS, esc, histogramChart, pct, sizesChart, sparsityChart, type SizeBar } from './svg.js';

/** A measured sensitivity curve: the metric at each sparsity of one tensor or layer. */
export interface Curve {
  name: string;
  points: { sparsity: number; value: number }[];
}

export interface Sensitivity {
  /** What was measured: 'accuracy'. */
  metric: string;
  /** How: which data, how many examples. */
  note: string;
  /** The metric of the unpruned model. */
  baseline?: number;
  curves: Curve[];
}

export interface Evaluation {
  /** What was measured: 'accuracy'. */
  metric: string;
  note: string;
  /**
   * One row per model; pruned rows name their method ('magnitude', 'activation', 'reconstruct') and
   * target sparsity, and are drawn as one curve per method when there are several. compact: bytes
   * of the model as one compact container (docs/container.md), when measured.
   */
  rows: { model: string; value: number; sparsity: number; raw: number; gzip: number | null; method?: string; target?: number; compact?: number | null }[];
}

export interface HtmlReportInput {
  kind: 'prune' | 'inspect' | 'demo';
  title: string;
  /** Lines under the title: input, output, config. */
  facts: [string, string][];
  report: ModelPruneReport;
  config?: PruneConfig;
  histograms: TensorHistograms[];
  /** Tensors whose histograms were left out (too many to draw). */
  omittedHistograms: number;
  sensitivity?: Sensitivity;
  evaluation?: Evaluation;
  /** One-shot pruning (prune --calibration): its per-layer table. */
  oneShot?: OneShotReport;
  generator: string;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: ${COLORS.text}; margin: 0; background: #f8fafc; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid ${COLORS.grid}; padding-bottom: 4px; }
section { background: #fff; border: 1px solid ${COLORS.grid}; border-radius: 8px; padding: 4px 18px 16px; margin: 18px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; color: #374151; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0 0; }
.card { background: #fff; border: 1px solid ${COLORS.grid}; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card .v { font-size: 22px; font-weight: 650; } .card .k { color: #6b7280; font-size: 12px; }
.small-multiples { display: flex; flex-wrap: wrap; gap: 10px; }
svg.chart { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.chart text { fill: ${COLORS.text}; } svg.chart .tick { fill: ${COLORS.axis}; font-size: 11px; }
svg.chart .group { font-weight: 600; } svg.chart .value { fill: #374151; font-size: 11px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { padding: 3px 8px; border-bottom: 1px solid ${COLORS.grid}; text-align: left; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.skipped td { color: #6b7280; }
.note { color: #6b7280; font-size: 12.5px; }
.scroll { overflow-x: auto; }
`;

const int = (n: number) => n.toLocaleString('en-US');

function cards(items: [string, string][]): string {
  return `<div class="cards">${items.map(([k, v]) => `<div class="card"><div class="v">${esc(v)}</div><div class="k">${esc(k)}</div></div>`).join('')}</div>`;
}

function table(head: string[], rows: string[][], numeric: Set<number>, rowClass: (i: number) => string = () => ''): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map((r, ri) => `<tr${rowClass(ri) ? ` class="${rowClass(ri)}"` : ''}>${r.map((c, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`);
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>${trs.join('')}</tbody></table></div>`;
}

/** Embeds JSON in a <script> element safely ('<' never closes it). */
function jsonScript(id: string, data: unknown): string {
  return `<script type="application/json" id="${id}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`;
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const r = input.report;
  const parts = [
    `<h1>${esc(input.title)}</h1>`,
    `<dl class="facts">${input.facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`,
    summaryCards(input),
    evaluationSection(input),
    oneShotSection(input),
    sparsitySection(input),
    histogramsSection(input),
    sizesSection(input),
    sensitivitySection(input),
    tensorsSection(input),
    `<p class="note">${esc(input.generator)}</p>`,
  ].filter((p) => p !== '');
  const data = { kind: input.kind, facts: Object.fromEntries(input.facts), config: input.config ?? null, report: r, sensitivity: input.sensitivity ?? null, evaluation: input.evaluation ?? null };
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body><main>',
    ...parts,
    '</main>',
    jsonScript('report-data', data),
    '</body></html>',
    '',
  ].join('\n');
}

type Sized = { raw: number; gzip: number | null; estimated?: boolean };
/** A gzip figure estimated from a sample of a large model's bytes is written ≈. */
const gz = (s: Sized) => (s.gzip === null ? bytes(s.raw) : `${s.estimated ? '≈' : ''}${bytes(s.gzip)}`);
const sizeGzip = (s: Sized) => (s.gzip === null ? bytes(s.raw) : `${bytes(s.raw)} (gzip ${gz(s)})`);

/** The figures at the top: parameters, sparsity, weight bytes. */
function summaryCards(input: HtmlReportInput): string {
  const r = input.report;
  const b = r.bytes;
  if (input.kind === 'inspect') {
    return cards([
      ['parameters', int(r.totals.params)],
      ['sparsity (whole model)', pct(r.totals.sparsity, 2)],
      ['sparsity (prunable tensors)', pct(r.totals.prunedSparsity, 2)],
      ['weight bytes', bytes(b.after.raw)],
      ...(b.after.gzip === null ? [] : ([['gzip', gz(b.after)]] as [string, string][])),
      [`as ${b.quantized.dtype}${b.quantized.gzip === null ? '' : ', gzip'}`, gz(b.quantized)],
    ]);
  }
  const noGzip = b.before.gzip === null || b.after.gzip === null;
  return cards([
    ['parameters', int(r.totals.params)],
    ['sparsity (whole model)', `${pct(r.totals.zerosBefore / Math.max(1, r.totals.params), 1)} → ${pct(r.totals.sparsity, 1)}`],
    ['sparsity (pruned tensors)', pct(r.totals.prunedSparsity, 2)],
    [noGzip ? 'weight bytes' : 'weight bytes, gzip', noGzip ? `${bytes(b.before.raw)} → ${bytes(b.after.raw)}` : `${gz(b.before)} → ${gz(b.after)}`],
    ...(input.config?.quantize === undefined
      ? ([[`as ${b.quantized.dtype}${b.quantized.gzip === null ? '' : ', gzip'} (estimate)`, gz(b.quantized)]] as [string, string][])
      : []),
  ]);
}

/** The metric before and after (the demo's accuracy table), where measured. */
function evaluationSection(input: HtmlReportInput): string {
  const ev = input.evaluation;
  if (ev === undefined) return '';
  const compact = ev.rows.some((r) => r.compact != null);
  return [
    `<section id="evaluation"><h2>${esc(ev.metric[0].toUpperCase() + ev.metric.slice(1))}</h2><p class="note">${esc(ev.note)}</p>`,
    methodsChart(ev),
    table(
      ['model', ev.metric, 'sparsity', 'weight bytes', 'gzip', ...(compact ? ['compact container'] : [])],
      ev.rows.map((row) => [row.model, pct(row.value, 2), pct(row.sparsity, 1), bytes(row.raw), row.gzip === null ? '-' : bytes(row.gzip), ...(compact ? [row.compact == null ? '-' : bytes(row.compact)] : [])]),
      new Set([1, 2, 3, 4, 5]),
    ),
    '</section>',
  ].join('\n');
}

/**
 * The metric against the target sparsity, one curve per pruning method (from the dense model's
 * value at 0), where the rows hold several methods; '' otherwise.
 */
function methodsChart(ev: Evaluation): string {
  const pruned = ev.rows.filter((r) => r.method !== undefined && r.target !== undefined);
  const methods = [...new Set(pruned.map((r) => r.method as string))];
  if (methods.length < 2) return '';
  const sparsities = [...new Set(pruned.map((r) => r.target as number))].sort((a, b) => a - b);
  const at = (m: string, s: number) => pruned.find((r) => r.method === m && r.target === s)?.value ?? NaN;
  const baseline = ev.rows.find((r) => r.model === 'original')?.value ?? NaN;
  return sensitivityChart(
    { metric: ev.metric, baseline, sparsities, layers: methods.map((m) => ({ name: m, metrics: sparsities.map((s) => at(m, s)) })) },
    { xLabel: 'target sparsity of the model', title: `${ev.metric} against sparsity, by pruning method` },
  ).replace('class="chart sensitivity"', 'class="chart methods"');
}

/** Per-tensor sparsity: the pruned tensors (inspect: the ones the default rule would prune, and any with zeros). */
function sparsitySection(input: HtmlReportInput): string {
  const r = input.report;
  const inspect = input.kind === 'inspect';
  const shown = r.tensors.filter((t) => (inspect ? t.method !== null || t.zerosAfter > 0 : t.method !== null));
  const parts = [`<section id="sparsity"><h2>${inspect ? 'Sparsity per tensor' : 'Sparsity per tensor, before and after'}</h2>`];
  if (shown.length === 0) parts.push('<p class="note">No tensor was pruned.</p>');
  else {
    // Under global scope the target is the pool's, not each tensor's: one line across all rows.
    const global = !inspect && r.scope === 'global' && r.sparsity !== null;
    parts.push(
      sparsityChart(
        shown.map((t) => ({ name: t.name, before: t.zerosBefore / Math.max(1, t.params), after: t.sparsity, target: inspect || (global && t.reason.indexOf('override') < 0) ? null : t.target })),
        { showBefore: !inspect, globalTarget: global ? r.sparsity! : null },
      ),
    );
    const rest = r.tensors.length - shown.length;
    if (rest > 0) parts.push(`<p class="note">${rest} more tensor${rest === 1 ? '' : 's'} ${inspect ? 'without zeros and not prunable by default' : 'not pruned'} (biases, normalization, integer, excluded): see the table below.</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Histograms of |w| per tensor, before and after, with the threshold. */
function histogramsSection(input: HtmlReportInput): string {
  const r = input.report;
  const inspect = input.kind === 'inspect';
  const parts = [
    `<section id="histograms"><h2>Weight magnitudes${inspect ? '' : ', before and after'}</h2>`,
    `<p class="note">Histogram of |w| over the nonzero weights of each tensor (${inspect ? 'grey' : 'grey: before, blue: after, red dashes: the threshold'}); zeros are counted apart, below each chart.</p>`,
  ];
  if (input.histograms.length === 0) parts.push('<p class="note">No float tensor to draw.</p>');
  parts.push(`<div class="small-multiples">${input.histograms.map((h) => histogramChart(h.name, h.before, h.after, inspect ? null : (r.tensors.find((t) => t.name === h.name)?.threshold ?? null))).join('')}</div>`);
  if (input.omittedHistograms > 0) parts.push(`<p class="note">${input.omittedHistograms} more tensors not drawn.</p>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** Weight bytes raw and gzip, before and after (and as quantized), as bars and a table. */
function sizesSection(input: HtmlReportInput): string {
  const b = input.report.bytes;
  const dash = (s: Sized) => (s.gzip === null ? '-' : gz(s));
  const exported = input.config?.quantize !== undefined;
  if (input.kind === 'inspect') {
    const bars: SizeBar[] = [
      { label: 'as stored', ...b.after, color: COLORS.after },
      { label: `as ${b.quantized.dtype}`, raw: b.quantized.raw, gzip: b.quantized.gzip, color: COLORS.quantized },
    ];
    const rows = [
      ['as stored', sizeGzip({ raw: b.after.raw, gzip: null }), dash(b.after)],
      [`as ${b.quantized.dtype} (estimate)`, bytes(b.quantized.raw), dash(b.quantized)],
    ];
    return `<section id="sizes"><h2>Weight bytes</h2>${sizesChart(bars)}\n${table(['', 'raw', 'gzip'], rows, new Set([1, 2]))}\n</section>`;
  }
  const bars: SizeBar[] = [
    { label: 'before', ...b.before, color: COLORS.before },
    { label: exported ? `after (${b.quantized.dtype})` : 'after', ...b.after, color: COLORS.after },
    ...(exported ? [] : [{ label: `after, as ${b.quantized.dtype}`, raw: b.quantized.raw, gzip: b.quantized.gzip, color: COLORS.quantized }]),
  ];
  const rows = [
    ['before', bytes(b.before.raw), dash(b.before)],
    ...(exported
      ? [[`after (${b.quantized.dtype})`, bytes(b.after.raw), dash(b.after)]]
      : [
          ['after', bytes(b.after.raw), dash(b.after)],
          [`after, as ${b.quantized.dtype} (estimate)`, bytes(b.quantized.raw), dash(b.quantized)],
        ]),
  ];
  return `<section id="sizes"><h2>Weight bytes</h2>${sizesChart(bars)}\n${table(['', 'raw', 'gzip'], rows, new Set([1, 2]))}\n</section>`;
}

/** One-shot pruning's layers: sparsity, relative reconstruction error on the calibration data, solver. */
function oneShotSection(input: HtmlReportInput): string {
  const o = input.oneShot;
  if (o === undefined) return '';
  const rows = o.layers.map((l) => [l.layer, l.layerClass, int(l.params), int(l.pruned), pct(l.sparsity, 2), l.error === null ? '-' : l.error.toFixed(4), l.solver]);
  const note = `Method ${o.method}, ${int(o.calibration.examples)} calibration examples. Error: ‖Y − X̂Ŵ‖ / ‖Y‖ of each layer's output on them (Y the dense model's, X̂ the layer's inputs in the pruned model).`;
  return `<section id="oneshot"><h2>One-shot layers</h2><p class="note">${esc(note)}</p>\n${table(['layer', 'op', 'params', 'pruned', 'sparsity', 'error', 'solver'], rows, new Set([2, 3, 4, 5]))}\n</section>`;
}

/** The sensitivity curves and their table, where measured (the demo). */
function sensitivitySection(input: HtmlReportInput): string {
  const s = input.sensitivity;
  if (s === undefined || s.curves.length === 0) return '';
  const levels = [...new Set(s.curves.flatMap((c) => c.points.map((p) => p.sparsity)))].sort((x, y) => x - y);
  // The same chart as the library's sensitivityChart(scan): the curves in a scan's shape.
  const scanned = levels.filter((l) => l > 0);
  const at = (c: Curve, l: number) => c.points.find((q) => q.sparsity === l)?.value ?? NaN;
  const baseline = s.baseline ?? s.curves.map((c) => at(c, 0)).find(Number.isFinite) ?? NaN;
  return [
    `<section id="sensitivity"><h2>Sensitivity: ${esc(s.metric)} with one layer pruned at a time</h2><p class="note">${esc(s.note)}</p>`,
    sensitivityChart({ metric: s.metric, baseline, sparsities: scanned, layers: s.curves.map((c) => ({ name: c.name, metrics: scanned.map((l) => at(c, l)) })) }),
    table(
      ['tensor', ...levels.map((l) => pct(l, 0))],
      s.curves.map((c) => [c.name, ...levels.map((l) => {
        const p = c.points.find((q) => q.sparsity === l);
        return p === undefined ? '-' : pct(p.value, 2);
      })]),
      new Set(levels.map((_, i) => i + 1)),
    ),
    '</section>',
  ].join('\n');
}

/** Every tensor: shape, dtype, zeros, sparsity, target, threshold, and why it was pruned or not. */
function tensorsSection(input: HtmlReportInput): string {
  const r = input.report;
  const inspect = input.kind === 'inspect';
  const rows = r.tensors.map((t) =>
    inspect
      ? [t.name, t.layerClass ?? '-', `[${t.shape.join(', ')}]`, t.dtype, int(t.params), int(t.zerosAfter), pct(t.sparsity, 2), t.method !== null ? `pruned (${t.reason})` : `kept (${t.reason})`]
      : [
          t.name,
          t.layerClass ?? '-',
          `[${t.shape.join(', ')}]`,
          t.dtype,
          int(t.params),
          int(t.zerosBefore),
          int(t.zerosAfter),
          pct(t.sparsity, 2),
          t.target === null ? '-' : pct(t.target, 2),
          t.threshold === null ? '-' : t.threshold.toPrecision(4),
          t.method === null ? `- (${t.reason})` : `${t.method} (${t.reason})`,
        ],
  );
  const head = inspect
    ? ['tensor', 'layer class', 'shape', 'dtype', 'params', 'zeros', 'sparsity', 'default rule']
    : ['tensor', 'layer class', 'shape', 'dtype', 'params', 'zeros before', 'zeros after', 'sparsity', 'target', 'threshold', 'method / reason'];
  const tt = r.totals;
  return [
    '<section id="tensors"><h2>Tensors</h2>',
    table(head, rows, inspect ? new Set([4, 5, 6]) : new Set([4, 5, 6, 7, 8, 9]), (i) => (r.tensors[i].method === null && !inspect ? 'skipped' : '')),
    `<p class="note">Totals: ${int(tt.params)} parameters, ${int(tt.zerosAfter)} zeros (${pct(tt.sparsity, 2)}); ${inspect ? 'prunable by default' : 'pruned tensors'}: ${int(tt.prunedParams)} parameters at ${pct(tt.prunedSparsity, 2)}.</p>`,
    '</section>',
  ].join('\n');
}
