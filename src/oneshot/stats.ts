// Calibration statistics of one linear map y = x·W (+ b), accumulated row by row in float64:
//   H   = X̃ᵀX̃         the Gram matrix of the layer's inputs in the pruned model, X̃ = [X, 1]
//                      when the layer has a bias (so the refit can move the bias too);
//   R   = X̃ᵀY         its cross product with the target outputs Y (what the pruned layer
//                      should reproduce: the dense model's outputs of this layer);
//   tt  = Σ y²         per output, the target's energy (for the relative error).
// A convolution is the same map over its patches (src/oneshot/patches.ts feeds them here one
// batch of rows at a time), so nothing here knows about layers or tfjs.
// Only rows' nonzero entries are visited: ReLU activations and MNIST pixels are mostly zero.
//
// With the Wasm kernels loaded (src/wasm/oneshot.ts) and a layer wide enough to gain from them,
// H's and R's input rows are accumulated there instead: float32 products summed over 128 rows at a
// time, each chunk added in float64 (relative error ~1e-7 against this file's float64 sums; the
// SIMD and scalar builds agree bit for bit). The bias row, tt and everything small stay here.
import { oneShotKernels, type WasmGram } from '../wasm/oneshot.js';

/** Inputs below which a layer's statistics stay in JavaScript (kernel setup would cost more). */
export const WASM_MIN_INPUTS = 32;

export class LayerStats {
  /** Inputs per output including the bias row: `inputs + 1` with a bias, else `inputs`. */
  readonly d: number;
  /** Rows seen. */
  rows = 0;
  /** d x d, row-major; only the lower triangle is accumulated until finish(). */
  readonly h: Float64Array;
  /** d x m, row-major. */
  readonly r: Float64Array;
  /** m. */
  readonly tt: Float64Array;
  private readonly idx: Int32Array;
  private readonly val: Float64Array;
  private done = false;
  private gram: WasmGram | null;

  constructor(
    readonly inputs: number,
    readonly m: number,
    readonly bias: boolean,
  ) {
    this.d = inputs + (bias ? 1 : 0);
    this.h = new Float64Array(this.d * this.d);
    this.r = new Float64Array(this.d * m);
    this.tt = new Float64Array(m);
    this.idx = new Int32Array(this.d);
    this.val = new Float64Array(this.d);
    const kernels = inputs >= WASM_MIN_INPUTS ? oneShotKernels(this.d, m) : null;
    this.gram = kernels === null ? null : kernels.gram(inputs, m);
  }

  /**
   * Adds `rows` rows: x (rows x inputs, the pruned model's inputs of the layer) and y (rows x m,
   * the target outputs, bias included).
   */
  add(x: Float32Array, y: Float32Array, rows: number): void {
    if (this.gram !== null) {
      this.addWasm(x, y, rows);
      return;
    }
    const { d, inputs, m, h, r, tt, idx, val } = this;
    for (let s = 0; s < rows; s++) {
      let nz = 0;
      const xo = s * inputs;
      for (let i = 0; i < inputs; i++) {
        const v = x[xo + i];
        if (v !== 0) {
          idx[nz] = i;
          val[nz++] = v;
        }
      }
      if (this.bias) {
        idx[nz] = inputs;
        val[nz++] = 1;
      }
      for (let a = 0; a < nz; a++) {
        const row = idx[a] * d;
        const va = val[a];
        for (let b = 0; b <= a; b++) h[row + idx[b]] += va * val[b];
      }
      const yo = s * m;
      for (let j = 0; j < m; j++) tt[j] += y[yo + j] * y[yo + j];
      for (let a = 0; a < nz; a++) {
        const row = idx[a] * m;
        const va = val[a];
        for (let j = 0; j < m; j++) r[row + j] += va * y[yo + j];
      }
    }
    this.rows += rows;
  }

  /** add() through the Wasm kernels: the inputs' rows there, the bias row and tt here. */
  private addWasm(x: Float32Array, y: Float32Array, rows: number): void {
    const { d, inputs, m, h, r, tt } = this;
    (this.gram as WasmGram).add(x, y, rows);
    for (let s = 0; s < rows; s++) {
      const yo = s * m;
      for (let j = 0; j < m; j++) tt[j] += y[yo + j] * y[yo + j];
      if (!this.bias) continue;
      const xo = s * inputs;
      const hb = inputs * d;
      for (let i = 0; i < inputs; i++) h[hb + i] += x[xo + i];
      h[hb + inputs] += 1;
      const rb = inputs * m;
      for (let j = 0; j < m; j++) r[rb + j] += y[yo + j];
    }
    this.rows += rows;
  }

  /** Mirrors the lower triangle of H into the upper one; call once, after the last add(). */
  finish(): this {
    if (this.done) return this;
    const { d, h } = this;
    if (this.gram !== null) {
      this.gram.finishInto(h, d, this.r);
      this.gram = null;
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h[j * d + i] = h[i * d + j];
    this.done = true;
    return this;
  }

  /** ‖x_i‖ over the rows seen, per input (Wanda's activation norm); the bias row excluded. */
  inputNorms(): Float64Array {
    const out = new Float64Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) out[i] = Math.sqrt(this.h[i * this.d + i]);
    return out;
  }
}

/**
 * The layer's targets y = x·w + b for `count` rows (x count x d, w d x m, b m or null), as float32:
 * float64 sums of the nonzero inputs here, or the Wasm kernel's float32 sums of 128 terms added in
 * float64 where it is loaded and the layer is wide enough.
 */
export function layerTargets(x: Float32Array, count: number, d: number, w: Float32Array, b: Float32Array | null, m: number): Float32Array {
  const y = new Float32Array(count * m);
  const kernels = d >= WASM_MIN_INPUTS ? oneShotKernels(d, m) : null;
  if (kernels !== null) {
    const p = kernels.product(x, count, d, w, m);
    for (let s = 0; s < count; s++) for (let j = 0; j < m; j++) y[s * m + j] = b === null ? p[s * m + j] : p[s * m + j] + b[j];
    return y;
  }
  const acc = new Float64Array(m);
  for (let s = 0; s < count; s++) {
    if (b !== null) for (let j = 0; j < m; j++) acc[j] = b[j];
    else acc.fill(0);
    const xo = s * d;
    for (let i = 0; i < d; i++) {
      const v = x[xo + i];
      if (v === 0) continue;
      const wo = i * m;
      for (let j = 0; j < m; j++) acc[j] += v * w[wo + j];
    }
    y.set(acc, s * m);
  }
  return y;
}
