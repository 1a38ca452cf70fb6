// Channel bookkeeping (docs/structured.md): every tensor's last axis is a list of segments, each
// either fixed (a model input, the output of a layer we cannot see through) or a run of the units of
// a *group*, each unit repeated `mult` times (DepthwiseConv2D with depth_multiplier m turns unit u
// into channels u·m .. u·m+m-1). Groups are joined by elementwise merges (union-find), so they are
// scored and pruned as one. Flatten keeps the segments and remembers the spatial size S: a
// channels-last flatten puts channel c at position p at index p·C + c.
import { last } from './surface.js';

export interface Seg {
  /** Group id (resolve with find()), or -1 for fixed channels. */
  g: number;
  size: number;
  mult: number;
}
export interface State {
  segs: Seg[];
  /** Spatial positions folded into the last axis by Flatten (1 when none). */
  spatial: number;
}
export interface Group {
  size: number;
  producers: string[];
  frozen: string | null;
  /** Kept unit indices, ascending; null = all kept. */
  keep: number[] | null;
  target: number | null;
}

export const fixedState = (shape: readonly (number | null)[]): State => ({ segs: [{ g: -1, size: last(shape) ?? 0, mult: 1 }], spatial: 1 });

/** The groups of a model (union-find over producers) and the channels of its tensors. */
export class Channels {
  readonly groups: Group[] = [];
  private readonly parent: number[] = [];

  find(g: number): number {
    const parent = this.parent;
    while (parent[g] !== g) g = parent[g] = parent[parent[g]];
    return g;
  }

  /** The root group of `g`. */
  group(g: number): Group {
    return this.groups[this.find(g)];
  }

  newGroup(size: number, producer: string): number {
    this.groups.push({ size, producers: [producer], frozen: null, keep: null, target: null });
    this.parent.push(this.groups.length - 1);
    return this.groups.length - 1;
  }

  /** Marks a group as not prunable; the first reason given is kept. */
  freeze(g: number, why: string): void {
    const r = this.group(g);
    if (r.frozen === null) r.frozen = why;
  }

  freezeState(s: State, why: string): void {
    for (const seg of s.segs) if (seg.g >= 0) this.freeze(seg.g, why);
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    this.parent[rb] = ra;
    const groups = this.groups;
    groups[ra].producers.push(...groups[rb].producers);
    if (groups[ra].frozen === null) groups[ra].frozen = groups[rb].frozen;
  }

  /** Kept channel indices of a tensor's last axis, or null when nothing is removed. */
  kept(s: State): number[] | null {
    const c = s.segs.reduce((a, seg) => a + seg.size * seg.mult, 0);
    const out: number[] = [];
    let removed = false;
    let off = 0;
    for (const seg of s.segs) {
      const keep = seg.g < 0 ? null : this.group(seg.g).keep;
      if (keep === null) {
        for (let i = 0; i < seg.size * seg.mult; i++) out.push(off + i);
      } else {
        removed = true;
        for (const u of keep) for (let j = 0; j < seg.mult; j++) out.push(off + u * seg.mult + j);
      }
      off += seg.size * seg.mult;
    }
    if (!removed) return null;
    if (s.spatial === 1) return out;
    const flat: number[] = [];
    for (let p = 0; p < s.spatial; p++) for (const ch of out) flat.push(p * c + ch);
    return flat;
  }
}
