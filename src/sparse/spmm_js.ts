// The pure-JS sparse kernel: the same sums as assembly/sparse.ts, in the same order (bias or +0
// first, then value·x[index] over each unit's pairs in ascending input index), each product and
// each sum rounded to float32 (Math.fround; storing into a Float32Array), so the three builds
// agree bit for bit. A binary64 sum or product of two float32 rounded once more to float32 is the
// correctly rounded float32 result (53 ≥ 2·24 + 2), so no double rounding creeps in. Runs the
// cpu backend's kernel (on the tensors' own arrays) and stands in where Wasm is missing.
import { pairAt, unitLayout } from './format.js';
import type { Activation } from './kernel_names.js';

export interface SpmmArrays {
  /** [rows, k] row-major, from xOff. */
  x: Float32Array;
  xOff: number;
  rows: number;
  k: number;
  n: number;
  counts: Uint32Array;
  indices: Uint16Array | Uint32Array;
  values: Float32Array;
  bias: Float32Array | null;
  /** [rows, n] row-major, from yOff. */
  y: Float32Array;
  yOff: number;
  act: Activation;
}

export function spmmJs(a: SpmmArrays): void {
  const { x, xOff, rows, k, n, counts, indices, values, bias, y, yOff } = a;
  const act = a.act === 'relu' ? 1 : a.act === 'relu6' ? 2 : 0;
  const acc = new Float32Array(rows);
  const l = unitLayout(counts, n);
  for (let u = 0; u < n; u++) {
    acc.fill(bias === null ? 0 : bias[u]);
    for (let s = 0; s < counts[u]; s++) {
      const p = pairAt(l, u, s);
      const v = values[p];
      const xi = xOff + indices[p];
      for (let r = 0; r < rows; r++) acc[r] += Math.fround(v * x[xi + r * k]);
    }
    for (let r = 0; r < rows; r++) {
      let s = acc[r];
      if (act !== 0) {
        s = 0 < s ? s : 0;
        if (act === 2) s = s < 6 ? s : 6;
      }
      y[yOff + r * n + u] = s;
    }
  }
}
