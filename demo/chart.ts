// The page's two SVG charts, as markup strings from plain numbers (no DOM needed to build them).
// Both take the width of the box they are drawn in, so the page redraws them when the box changes.
import { METHODS, type DemoMethod } from './methods.js';

export interface CurvePoint {
  method: DemoMethod;
  /** Sparsity of the pruned kernels (report.totals.prunedSparsity). */
  sparsity: number;
  accuracy: number;
}

export interface LayerBar {
  name: string;
  /** Target sparsity (null: not pruned). */
  target: number | null;
  sparsity: number;
  /** The summary row over all pruned kernels (drawn last, its label bold). */
  total?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (x: number, digits = 0) => `${(100 * x).toFixed(digits)}%`;

/**
 * The accuracy axis is fixed, so it never rescales under the user: it is spaced by the error rate
 * (1 − accuracy) on a log scale from 1 % to 100 %, which keeps 98 % and 97 % apart near the dense
 * model and still reaches the collapse to chance (10 % on MNIST) at the bottom. Accuracies above
 * 99 % are drawn at the top edge.
 */
export const ACCURACY_TICKS = [0.99, 0.98, 0.95, 0.9, 0.8, 0.5, 0];
const LOWEST_ERROR = 0.01;
const errorShare = (accuracy: number) => Math.log10(Math.min(1, Math.max(LOWEST_ERROR, 1 - accuracy))) / Math.log10(LOWEST_ERROR);

/** Height of the accuracy chart for a box `width` pixels wide: about 7:10, within 240–420 px. */
export const curveHeight = (width: number) => Math.round(Math.min(420, Math.max(240, 0.7 * width)));

/**
 * Accuracy (y) against sparsity (x, 0–100 %): one polyline per method through the points tried so
 * far, sorted by sparsity and starting at the dense model; the latest point ringed; a legend naming
 * every mark (the methods, the dense model, the latest result).
 */
export function curveSvg(points: CurvePoint[], dense: number, latest: CurvePoint | null, width: number, height = curveHeight(width)): string {
  const m = { left: 48, right: 20, top: 12, bottom: 40 };
  const w = Math.max(0, width - m.left - m.right);
  const h = Math.max(0, height - m.top - m.bottom);
  const X = (s: number) => m.left + s * w;
  const Y = (a: number) => m.top + (1 - errorShare(a)) * h;
  const out: string[] = [];
  out.push(`<rect class="plot" x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="#fafafa" stroke="#ccc"/>`);
  for (const a of ACCURACY_TICKS) {
    const y = Y(a).toFixed(1);
    out.push(`<line x1="${X(0)}" x2="${X(1)}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text class="ytick" x="${m.left - 6}" y="${(Y(a) + 4).toFixed(1)}" text-anchor="end">${pct(a)}</text>`);
  }
  // x ticks every 20 %, or every 25 % where the plot is narrow.
  const step = w < 300 ? 0.25 : 0.2;
  for (let t = 0; t <= 1 + 1e-9; t += step) out.push(`<text class="xtick" x="${X(t).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle">${pct(t)}</text>`);
  out.push(`<text x="${m.left + w / 2}" y="${height - 4}" text-anchor="middle">sparsity of the pruned kernels</text>`);
  out.push(`<text transform="translate(12 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">accuracy (log scale of errors)</text>`);
  for (const { id, label, color } of METHODS) {
    const own = points.filter((p) => p.method === id).sort((a, b) => a.sparsity - b.sparsity);
    if (own.length === 0) continue;
    const line = [{ sparsity: 0, accuracy: dense }, ...own].map((p) => `${X(p.sparsity).toFixed(1)},${Y(p.accuracy).toFixed(1)}`).join(' ');
    out.push(`<polyline class="series" data-method="${esc(id)}" points="${line}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of own) out.push(`<circle class="point" cx="${X(p.sparsity).toFixed(1)}" cy="${Y(p.accuracy).toFixed(1)}" r="4" fill="${color}"><title>${esc(label)}: ${pct(p.sparsity, 1)} sparse, ${pct(p.accuracy, 2)}</title></circle>`);
  }
  out.push(`<circle class="dense" cx="${X(0)}" cy="${Y(dense).toFixed(1)}" r="5" fill="#222"><title>dense model: ${pct(dense, 2)}</title></circle>`);
  if (latest !== null) out.push(`<circle class="latest" cx="${X(latest.sparsity).toFixed(1)}" cy="${Y(latest.accuracy).toFixed(1)}" r="9" fill="none" stroke="#222" stroke-width="2"/>`);
  out.push(legend(m.left + 14, m.top + h - 12));
  return out.join('');
}

/** The legend, bottom-left in the plot (where no point can fall: low accuracy at low sparsity). */
function legend(x: number, bottom: number): string {
  const items = [
    ...METHODS.map(({ label, color }) => `<line x1="-7" x2="7" stroke="${color}" stroke-width="2"/><circle r="4" fill="${color}"/><text x="12">${esc(label)}</text>`),
    `<circle r="5" fill="#222"/><text x="12">dense model (no pruning)</text>`,
    `<circle r="6" fill="none" stroke="#222" stroke-width="2"/><text x="12">latest result</text>`,
  ];
  const top = bottom - 16 * (items.length - 1);
  return `<g class="legend">${items.map((item, i) => `<g class="legend-item" transform="translate(${x} ${top + 16 * i})" dominant-baseline="central">${item}</g>`).join('')}</g>`;
}

const BAR = { left: 96, right: 52, top: 6, row: 24, gap: 8 };

/**
 * One horizontal bar per tensor: its sparsity, with a red tick at its target where the target is
 * its own (`perTensorTargets`; under a global target only the summary row carries the tick).
 */
export function layersSvg(bars: LayerBar[], width: number, perTensorTargets: boolean): string {
  // A box not laid out yet (width 0, e.g. mid-resize) draws empty bars, not negative widths.
  const w = Math.max(0, width - BAR.left - BAR.right);
  const out: string[] = [];
  bars.forEach((b, i) => {
    const y = BAR.top + i * BAR.row + (b.total ? BAR.gap : 0);
    const cls = b.total ? 'total' : 'tensor';
    out.push(`<text x="${BAR.left - 8}" y="${y + 15}" text-anchor="end"${b.total ? ' font-weight="600"' : ''}>${esc(b.name)}</text>`);
    out.push(`<rect x="${BAR.left}" y="${y + 3}" width="${w}" height="16" fill="#eee"/>`);
    out.push(`<rect class="bar ${cls}" x="${BAR.left}" y="${y + 3}" width="${(b.sparsity * w).toFixed(1)}" height="16" fill="${b.target === null ? '#999' : '#1f6fd1'}"/>`);
    if (b.target !== null && (b.total || perTensorTargets)) {
      const x = (BAR.left + b.target * w).toFixed(1);
      out.push(`<line class="target" x1="${x}" x2="${x}" y1="${y}" y2="${y + 22}" stroke="#d11f1f" stroke-width="2"><title>target ${pct(b.target, 1)}</title></line>`);
    }
    out.push(`<text x="${BAR.left + w + 6}" y="${y + 15}">${pct(b.sparsity, 1)}</text>`);
  });
  return out.join('');
}

/** Height of layersSvg's drawing for `n` bars, the last of them the summary row. */
export const layersHeight = (n: number) => BAR.top + n * BAR.row + BAR.gap + 4;
