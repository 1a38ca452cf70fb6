// The sensitivity chart: metric against sparsity, one polyline per layer, as one self-contained
// <svg> string (no script, no font, no network; presentation attributes inline, so it renders the
// same on its own and inside report.html, whose CSS styles the same classes). Browser-safe: no
// node:* here. The CLI's HTML report draws its sensitivity section with this same function.

/** The scan, as far as the chart needs it (a SensitivityScan fits). */
export interface SensitivityChartInput {
  /** What `metric` measures, for the labels ('accuracy'). Default 'metric'. */
  metric?: string;
  /** The scan's method: 'structured' labels the x axis as the fraction of units removed. */
  method?: string;
  /** The unpruned model's metric: every curve starts there at sparsity 0, drawn dashed across. */
  baseline: number;
  /** Sparsities scanned (the x positions of each layer's metrics). */
  sparsities: readonly number[];
  layers: readonly { name: string; metrics: readonly number[] }[];
}

export interface SensitivityChartOptions {
  /** x axis label. Default 'sparsity of the layer' ('units removed from the layer' for a structured scan). */
  xLabel?: string;
  /** Chart title read by screen readers (aria-label). */
  title?: string;
}

const COLORS = { grid: '#e5e7eb', axis: '#6b7280', text: '#111827' };
const SERIES = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#65a30d', '#4b5563', '#ca8a04'];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const f = (x: number) => (Math.round(x * 10) / 10).toString();
const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const truncate = (s: string, max: number) => (s.length <= max ? s : `…${s.slice(s.length - max + 1)}`);

function text(x: number, y: number, s: string, cls: string, attrs = ''): string {
  const fill = cls === 'tick' ? ` fill="${COLORS.axis}" font-size="11"` : ` fill="${COLORS.text}"`;
  return `<text class="${cls}" x="${f(x)}" y="${f(y)}"${fill}${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
}

/**
 * The scan as an SVG chart: one curve (polyline with a dot per point) per layer, from
 * (0, baseline) through each scanned sparsity; the baseline dashed. Metrics that are all within
 * [0, 1] are labelled as percentages. Non-finite metrics are left out of their curve.
 */
export function sensitivityChart(scan: SensitivityChartInput, options: SensitivityChartOptions = {}): string {
  const metric = scan.metric ?? 'metric';
  const left = 52;
  const right = 150;
  const top = 16;
  const bottom = 40;
  const plotW = 440;
  const plotH = 240;
  const width = left + plotW + right;
  // The legend lists every layer on the right; a long list makes the chart taller.
  const height = Math.max(top + plotH + bottom, top + 12 + scan.layers.length * 18);
  const curves = scan.layers.map((l) => ({
    name: l.name,
    points: [{ sparsity: 0, value: scan.baseline }, ...scan.sparsities.map((s, i) => ({ sparsity: s, value: l.metrics[i] }))]
      .filter((p) => Number.isFinite(p.value) && Number.isFinite(p.sparsity))
      .sort((a, b) => a.sparsity - b.sparsity),
  }));
  const xs = curves.flatMap((c) => c.points.map((p) => p.sparsity));
  const ys = [...curves.flatMap((c) => c.points.map((p) => p.value)), scan.baseline].filter(Number.isFinite);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1, ...xs);
  let y0 = ys.length === 0 ? 0 : Math.min(...ys);
  let y1 = ys.length === 0 ? 1 : Math.max(...ys);
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  // Fractions (accuracy) stay within [0, 1] and are labelled as percentages.
  const fraction = ys.length > 0 && ys.every((v) => v >= 0 && v <= 1);
  const pad = (y1 - y0) * 0.05;
  y0 = fraction ? Math.max(0, y0 - pad) : y0 - pad;
  y1 = fraction ? Math.min(1, y1 + pad) : y1 + pad;
  const X = (v: number) => left + ((v - x0) / (x1 - x0)) * plotW;
  const Y = (v: number) => top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const body: string[] = [];
  body.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  for (let t = 0; t <= 5; t++) {
    const v = y0 + ((y1 - y0) * t) / 5;
    body.push(`<line x1="${left}" y1="${f(Y(v))}" x2="${left + plotW}" y2="${f(Y(v))}" stroke="${COLORS.grid}"/>`);
    const label = fraction ? pct(v, y1 - y0 < 0.05 ? 2 : 1) : Math.abs(y1 - y0) < 0.05 ? v.toFixed(4) : v.toFixed(3);
    body.push(text(left - 6, Y(v) + 4, label, 'tick', 'text-anchor="end"'));
  }
  for (let t = 0; t <= 10; t += 2) {
    const v = x0 + ((x1 - x0) * t) / 10;
    body.push(`<line x1="${f(X(v))}" y1="${top + plotH}" x2="${f(X(v))}" y2="${top + plotH + 4}" stroke="${COLORS.axis}"/>`);
    body.push(text(X(v), top + plotH + 16, pct(v, 0), 'tick', 'text-anchor="middle"'));
  }
  body.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="${COLORS.axis}"/>`);
  body.push(text(left + plotW / 2, top + plotH + bottom - 6, options.xLabel ?? (scan.method === 'structured' ? 'units removed from the layer' : 'sparsity of the layer'), 'tick', 'text-anchor="middle"'));
  if (Number.isFinite(scan.baseline)) {
    body.push(`<line class="baseline" x1="${left}" y1="${f(Y(scan.baseline))}" x2="${left + plotW}" y2="${f(Y(scan.baseline))}" stroke="${COLORS.axis}" stroke-dasharray="4 3"/>`);
  }
  curves.forEach((c, i) => {
    const color = SERIES[i % SERIES.length];
    const pts = c.points;
    body.push(`<g class="curve"><title>${esc(`${c.name}: ${pts.map((p) => `${pct(p.sparsity, 0)} ${metric} ${p.value.toFixed(4)}`).join(', ')}`)}</title>`);
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${f(X(p.sparsity))},${f(Y(p.value))}`).join(' ')}"/>`);
    for (const p of pts) body.push(`<circle cx="${f(X(p.sparsity))}" cy="${f(Y(p.value))}" r="3" fill="${color}"/>`);
    body.push('</g>');
    const ly = top + 12 + i * 18;
    body.push(`<rect x="${left + plotW + 14}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`);
    body.push(text(left + plotW + 28, ly, truncate(c.name, 18), 'legend'));
  });
  const label = options.title ?? `${metric} against sparsity, per layer`;
  return (
    `<svg class="chart sensitivity" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${esc(label)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">` +
    `<title>${esc(label)}</title>${body.join('')}</svg>`
  );
}
