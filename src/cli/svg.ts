// Hand-written inline SVG charts for report.html: no script, no fonts, no network, so the file
// opens offline anywhere and prints. Each function returns one <svg> element as a string; every
// piece of text passes through esc().

export const COLORS = {
  before: '#9aa5b1',
  after: '#2563eb',
  quantized: '#16a34a',
  threshold: '#dc2626',
  grid: '#e5e7eb',
  axis: '#6b7280',
  text: '#111827',
};

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const f = (x: number) => (Math.round(x * 10) / 10).toString();

function svg(width: number, height: number, cls: string, label: string, body: string[]): string {
  return `<svg class="chart ${cls}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}">${body.join('')}</svg>`;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${f(x)}" y="${f(y)}" ${attrs}>${esc(s)}</text>`;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function legend(x: number, y: number, items: { label: string; color: string }[]): string {
  let cx = x;
  const out: string[] = [];
  for (const it of items) {
    out.push(`<rect x="${f(cx)}" y="${f(y - 9)}" width="10" height="10" fill="${it.color}"/>`);
    out.push(text(cx + 14, y, it.label, 'class="legend"'));
    cx += 24 + it.label.length * 6.5;
  }
  return out.join('');
}

export interface SparsityRow {
  name: string;
  before: number;
  after: number;
  /** Target sparsity, drawn as a tick (null: not pruned). */
  target: number | null;
}

/** Horizontal bars, two per tensor: sparsity before (grey) and after (blue), 0 to 100%. */
export function sparsityChart(rows: SparsityRow[], options: { showBefore: boolean; globalTarget?: number | null }): string {
  const labelW = 190;
  const plotW = 440;
  const rowH = options.showBefore ? 24 : 18;
  const top = 30;
  const width = labelW + plotW + 70;
  const height = top + rows.length * rowH + 28;
  const body: string[] = [];
  const x = (v: number) => labelW + v * plotW;
  for (let t = 0; t <= 4; t++) {
    const v = t / 4;
    body.push(`<line x1="${f(x(v))}" y1="${top - 4}" x2="${f(x(v))}" y2="${height - 24}" stroke="${COLORS.grid}"/>`);
    body.push(text(x(v), height - 10, pct(v, 0), 'class="tick" text-anchor="middle"'));
  }
  body.push(
    legend(
      labelW,
      16,
      options.showBefore
        ? [
            { label: 'before', color: COLORS.before },
            { label: 'after', color: COLORS.after },
            { label: options.globalTarget == null ? 'target' : 'global target', color: COLORS.threshold },
          ]
        : [{ label: 'sparsity', color: COLORS.after }],
    ),
  );
  if (options.globalTarget != null) {
    const gx = x(options.globalTarget);
    body.push(`<line class="target global" x1="${f(gx)}" y1="${top - 2}" x2="${f(gx)}" y2="${f(top + rows.length * rowH)}" stroke="${COLORS.threshold}" stroke-width="1.5" stroke-dasharray="4 3"><title>${esc(`global target ${pct(options.globalTarget, 2)} over the pruned tensors together`)}</title></line>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    body.push(`<g class="row"><title>${esc(`${r.name}: ${options.showBefore ? `${pct(r.before, 2)} -> ` : ''}${pct(r.after, 2)}${r.target === null ? '' : ` (target ${pct(r.target, 2)})`}`)}</title>`);
    body.push(text(labelW - 8, y + rowH / 2 + 4, truncate(r.name, 30), 'class="label" text-anchor="end"'));
    if (options.showBefore) {
      body.push(`<rect class="bar before" x="${labelW}" y="${f(y + 3)}" width="${f(Math.max(r.before * plotW, 0))}" height="8" fill="${COLORS.before}"/>`);
      body.push(`<rect class="bar after" x="${labelW}" y="${f(y + 12)}" width="${f(Math.max(r.after * plotW, 0))}" height="9" fill="${COLORS.after}"/>`);
    } else {
      body.push(`<rect class="bar after" x="${labelW}" y="${f(y + 3)}" width="${f(Math.max(r.after * plotW, 0))}" height="12" fill="${COLORS.after}"/>`);
    }
    if (r.target !== null && options.showBefore) {
      body.push(`<line class="target" x1="${f(x(r.target))}" y1="${f(y + 1)}" x2="${f(x(r.target))}" y2="${f(y + rowH - 1)}" stroke="${COLORS.threshold}" stroke-width="2"/>`);
    }
    body.push(text(x(r.after) + 6, y + rowH / 2 + 4, pct(r.after), 'class="value"'));
    body.push('</g>');
  });
  return svg(width, height, 'sparsity', 'Sparsity per tensor', body);
}

export interface Histogram {
  /** Upper edge of the last bin (the bins split [0, max] evenly). */
  max: number;
  /** Counts of nonzero magnitudes per bin. */
  counts: number[];
  zeros: number;
  total: number;
}

/** |w| histogram of one tensor: nonzero magnitudes before (grey) and after (blue), the threshold dashed. */
export function histogramChart(name: string, before: Histogram, after: Histogram | null, threshold: number | null): string {
  const width = 300;
  const height = 150;
  const left = 8;
  const right = 8;
  const top = 26;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const bins = before.counts.length;
  const peak = Math.max(1, ...before.counts, ...(after?.counts ?? []));
  const bw = plotW / bins;
  const body: string[] = [];
  body.push(`<title>${esc(name)}</title>`);
  body.push(text(left, 14, truncate(name, 44), 'class="label"'));
  body.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="${COLORS.axis}"/>`);
  const bars = (h: Histogram, cls: string, color: string, opacity: number) =>
    h.counts.forEach((c, i) => {
      if (c === 0) return;
      const hh = Math.max(1, (c / peak) * plotH);
      body.push(`<rect class="bar ${cls}" x="${f(left + i * bw)}" y="${f(top + plotH - hh)}" width="${f(Math.max(bw - 0.5, 0.5))}" height="${f(hh)}" fill="${color}" fill-opacity="${opacity}"/>`);
    });
  bars(before, 'before', COLORS.before, after === null ? 1 : 0.9);
  if (after !== null) bars(after, 'after', COLORS.after, 0.85);
  if (threshold !== null && before.max > 0) {
    const tx = left + Math.min(threshold / before.max, 1) * plotW;
    body.push(`<line class="threshold" x1="${f(tx)}" y1="${top - 2}" x2="${f(tx)}" y2="${top + plotH}" stroke="${COLORS.threshold}" stroke-dasharray="3 2"/>`);
  }
  body.push(text(left, top + plotH + 13, '0', 'class="tick"'));
  body.push(text(left + plotW, top + plotH + 13, `|w| ${before.max.toPrecision(3)}`, 'class="tick" text-anchor="end"'));
  const zb = before.total === 0 ? 0 : before.zeros / before.total;
  const za = after === null || after.total === 0 ? null : after.zeros / after.total;
  body.push(text(left, height - 6, za === null ? `zeros ${pct(zb)}` : `zeros ${pct(zb)} → ${pct(za)}${threshold === null ? '' : `, threshold ${threshold.toPrecision(3)}`}`, 'class="tick"'));
  return svg(width, height, 'histogram', `Weight magnitudes of ${name}`, body);
}

export interface SizeBar {
  label: string;
  raw: number;
  gzip: number | null;
  color: string;
}

/** Grouped horizontal bars: raw and gzip bytes of each variant (before, after, quantized). */
export function sizesChart(bars: SizeBar[]): string {
  const labelW = 150;
  const plotW = 420;
  const width = labelW + plotW + 110;
  const groups = [
    { key: 'raw' as const, title: 'raw' },
    ...(bars.some((b) => b.gzip !== null) ? [{ key: 'gzip' as const, title: 'gzip' }] : []),
  ];
  const barH = 16;
  const groupH = bars.length * (barH + 4) + 22;
  const height = 10 + groups.length * groupH + 10;
  const peak = Math.max(1, ...bars.map((b) => b.raw));
  const body: string[] = [];
  groups.forEach((g, gi) => {
    const y0 = 10 + gi * groupH;
    body.push(text(0, y0 + 12, g.title, 'class="group"'));
    bars.forEach((b, i) => {
      const v = g.key === 'raw' ? b.raw : b.gzip;
      if (v === null) return;
      const y = y0 + 20 + i * (barH + 4);
      const w = (v / peak) * plotW;
      body.push(`<g class="row"><title>${esc(`${b.label}, ${g.title}: ${v} bytes`)}</title>`);
      body.push(text(labelW - 8, y + barH - 4, b.label, 'class="label" text-anchor="end"'));
      body.push(`<rect class="bar" x="${labelW}" y="${f(y)}" width="${f(Math.max(w, 1))}" height="${barH}" fill="${b.color}"/>`);
      body.push(text(labelW + w + 6, y + barH - 4, bytes(v), 'class="value"'));
      body.push('</g>');
    });
  });
  return svg(width, height, 'sizes', 'Weight bytes before and after', body);
}
