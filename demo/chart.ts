// The page's two SVG charts, as markup strings from plain numbers (no DOM needed to build them).
import type { DemoMethod } from './protocol.js';

export interface CurvePoint {
  method: DemoMethod;
  /** Sparsity of the pruned kernels (report.totals.prunedSparsity). */
  sparsity: number;
  accuracy: number;
}

export interface LayerBar {
  name: string;
  params: number;
  /** Target sparsity (null: not pruned). */
  target: number | null;
  sparsity: number;
}

export const SERIES: Record<DemoMethod, { label: string; color: string }> = {
  layer: { label: 'magnitude, per layer', color: '#1f6fd1' },
  global: { label: 'magnitude, global', color: '#d1661f' },
  '2:4': { label: 'N:M 2:4', color: '#2a9d4b' },
};

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (x: number, digits = 0) => `${(100 * x).toFixed(digits)}%`;

/**
 * Accuracy (y, 0–100 %) against sparsity (x, 0–100 %): one polyline per method through the points
 * tried so far, sorted by sparsity and starting at the dense model; the latest point ringed.
 */
export function curveSvg(points: CurvePoint[], dense: number, latest: CurvePoint | null, width = 560, height = 300): string {
  const m = { left: 48, right: 16, top: 14, bottom: 40 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  // y from 90 % while every accuracy is above it (the dense model's 98 % and a 97 % would otherwise
  // sit on one line), then from 50 %, then from 0 %.
  const lowest = Math.min(dense, ...points.map((p) => p.accuracy));
  const lo = lowest >= 0.9 ? 0.9 : lowest >= 0.5 ? 0.5 : 0;
  const X = (s: number) => m.left + s * w;
  const Y = (a: number) => m.top + ((1 - a) / (1 - lo)) * h;
  const out: string[] = [];
  out.push(`<rect class="plot" x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="#fafafa" stroke="#ccc"/>`);
  for (let i = 0; i <= 5; i++) {
    const t = i / 5;
    const a = lo + (1 - lo) * t;
    out.push(`<line x1="${X(0)}" x2="${X(1)}" y1="${Y(a).toFixed(1)}" y2="${Y(a).toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 6}" y="${(Y(a) + 4).toFixed(1)}" text-anchor="end">${pct(a)}</text>`);
    out.push(`<text x="${X(t)}" y="${m.top + h + 16}" text-anchor="middle">${pct(t)}</text>`);
  }
  out.push(`<text x="${m.left + w / 2}" y="${height - 4}" text-anchor="middle">sparsity of the pruned kernels</text>`);
  out.push(`<text transform="translate(12 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);
  let legendY = m.top + h - 8 - 16 * (Object.keys(SERIES).length - 1);
  for (const [method, { label, color }] of Object.entries(SERIES) as [DemoMethod, (typeof SERIES)[DemoMethod]][]) {
    const own = points.filter((p) => p.method === method).sort((a, b) => a.sparsity - b.sparsity);
    out.push(`<circle cx="${m.left + 14}" cy="${legendY - 4}" r="4" fill="${color}"/><text x="${m.left + 24}" y="${legendY}">${esc(label)}</text>`);
    legendY += 16;
    if (own.length === 0) continue;
    const line = [{ sparsity: 0, accuracy: dense }, ...own].map((p) => `${X(p.sparsity).toFixed(1)},${Y(p.accuracy).toFixed(1)}`).join(' ');
    out.push(`<polyline class="series ${method === '2:4' ? 'nm' : method}" points="${line}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of own) out.push(`<circle class="point" cx="${X(p.sparsity).toFixed(1)}" cy="${Y(p.accuracy).toFixed(1)}" r="4" fill="${color}"><title>${esc(label)}: ${pct(p.sparsity, 1)} sparse, ${pct(p.accuracy, 2)}</title></circle>`);
  }
  out.push(`<circle class="dense" cx="${X(0)}" cy="${Y(dense).toFixed(1)}" r="5" fill="#222"><title>dense: ${pct(dense, 2)}</title></circle>`);
  if (latest !== null) out.push(`<circle class="latest" cx="${X(latest.sparsity).toFixed(1)}" cy="${Y(latest.accuracy).toFixed(1)}" r="9" fill="none" stroke="#222" stroke-width="2"/>`);
  return out.join('');
}

/** One horizontal bar per tensor: its sparsity, with a tick at the target. */
export function layersSvg(bars: LayerBar[], width = 560): string {
  const m = { left: 110, right: 70, top: 8 };
  const row = 26;
  const w = width - m.left - m.right;
  const out: string[] = [];
  bars.forEach((b, i) => {
    const y = m.top + i * row;
    out.push(`<text x="${m.left - 8}" y="${y + 15}" text-anchor="end">${esc(b.name)}</text>`);
    out.push(`<rect x="${m.left}" y="${y + 3}" width="${w}" height="16" fill="#eee"/>`);
    out.push(`<rect class="bar" x="${m.left}" y="${y + 3}" width="${(b.sparsity * w).toFixed(1)}" height="16" fill="${b.target === null ? '#999' : '#1f6fd1'}"/>`);
    if (b.target !== null) out.push(`<line x1="${m.left + b.target * w}" x2="${m.left + b.target * w}" y1="${y}" y2="${y + 22}" stroke="#d11f1f" stroke-width="2"/>`);
    out.push(`<text x="${m.left + w + 8}" y="${y + 15}">${pct(b.sparsity, 1)}</text>`);
  });
  return out.join('');
}

/** Height of layersSvg's drawing for `n` bars. */
export const layersHeight = (n: number) => 8 + n * 26 + 4;
