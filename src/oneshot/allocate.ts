// Per-layer counts under scope 'global': the `k` smallest scores pooled across layers decide how
// many weights each layer loses. With magnitudes as scores this is pruneModel's global threshold
// (ties: earlier layer, then lower index, pruned first); with OBS saliencies divided by each
// layer's output energy, it spends the pruning where it costs the least relative reconstruction
// error (docs/oneshot.md, "Global scope").

/** How many of each layer's scores fall among the `k` smallest of all of them. */
export function pooledCounts(scores: readonly Float64Array[], k: number): number[] {
  let n = 0;
  for (const s of scores) n += s.length;
  const all = new Float64Array(n);
  let off = 0;
  for (const s of scores) {
    all.set(s, off);
    off += s.length;
  }
  const pruned = smallest(all, k, null);
  off = 0;
  return scores.map((s) => {
    let c = 0;
    for (let i = 0; i < s.length; i++) c += pruned[off + i];
    off += s.length;
    return c;
  });
}

/**
 * 1 at the `k` smallest scores among the eligible ones (all when `eligible` is null), ties at the
 * k-th value taken lowest index first; 0 elsewhere. Scores must not be NaN.
 */
export function smallest(scores: Float64Array, k: number, eligible: Uint8Array | null): Uint8Array {
  const n = scores.length;
  const out = new Uint8Array(n);
  if (k <= 0) return out;
  let m = 0;
  const pick = new Float64Array(n);
  for (let i = 0; i < n; i++) if (eligible === null || eligible[i] !== 0) pick[m++] = scores[i];
  if (k >= m) {
    for (let i = 0; i < n; i++) if (eligible === null || eligible[i] !== 0) out[i] = 1;
    return out;
  }
  const sorted = pick.subarray(0, m).sort();
  const t = sorted[k - 1];
  let below = 0;
  for (let i = 0; i < m && sorted[i] < t; i++) below++;
  let ties = k - below;
  for (let i = 0; i < n; i++) {
    if (eligible !== null && eligible[i] === 0) continue;
    const v = scores[i];
    if (v < t) out[i] = 1;
    else if (v === t && ties > 0) {
      out[i] = 1;
      ties--;
    }
  }
  return out;
}

export interface ErrorCurve {
  /** Weights in the layer. */
  n: number;
  /** Measured (weights pruned, relative error) points, any order; (0, 0) is implied. */
  points: { count: number; error: number }[];
}

/**
 * Per-layer counts adding up to `k` that minimise Σ_l e_l(k_l)², each layer's squared relative
 * error interpolated linearly between its measured points and replaced by its lower convex hull:
 * the hulls' segments are taken cheapest slope first (earlier layer first on ties), the last one
 * in part. A layer's count never exceeds its largest measured count unless all layers are full.
 */
export function curveCounts(curves: readonly ErrorCurve[], k: number): number[] {
  const segments: { layer: number; count: number; slope: number }[] = [];
  curves.forEach((c, layer) => {
    const pts = [{ count: 0, e2: 0 }, ...c.points.map((p) => ({ count: p.count, e2: p.error * p.error }))].sort((a, b) => a.count - b.count || a.e2 - b.e2);
    const hull: { count: number; e2: number }[] = [];
    for (const p of pts) {
      if (hull.length > 0 && hull[hull.length - 1].count === p.count) continue;
      while (hull.length >= 2) {
        const a = hull[hull.length - 2];
        const b = hull[hull.length - 1];
        // b lies on or above the chord a-p: drop it.
        if ((b.e2 - a.e2) * (p.count - a.count) >= (p.e2 - a.e2) * (b.count - a.count)) hull.pop();
        else break;
      }
      hull.push(p);
    }
    for (let i = 1; i < hull.length; i++) {
      segments.push({ layer, count: hull[i].count - hull[i - 1].count, slope: (hull[i].e2 - hull[i - 1].e2) / (hull[i].count - hull[i - 1].count) });
    }
  });
  segments.sort((a, b) => a.slope - b.slope || a.layer - b.layer);
  const counts = curves.map(() => 0);
  let left = k;
  for (const s of segments) {
    if (left <= 0) break;
    const take = Math.min(left, s.count);
    counts[s.layer] += take;
    left -= take;
  }
  // Past every measured point (k beyond them all): fill layers in order up to their sizes.
  for (let l = 0; l < curves.length && left > 0; l++) {
    const take = Math.min(left, curves[l].n - counts[l]);
    counts[l] += take;
    left -= take;
  }
  return counts;
}
