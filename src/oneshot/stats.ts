// Calibration statistics of one linear map y = x·W (+ b), accumulated row by row in float64:
//   H   = X̃ᵀX̃         the Gram matrix of the layer's inputs in the pruned model, X̃ = [X, 1]
//                      when the layer has a bias (so the refit can move the bias too);
//   R   = X̃ᵀY         its cross product with the target outputs Y (what the pruned layer
//                      should reproduce: the dense model's outputs of this layer);
//   tt  = Σ y²         per output, the target's energy (for the relative error).
// A convolution is the same map over its patches (src/oneshot/patches.ts feeds them here one
// batch of rows at a time), so nothing here knows about layers or tfjs.
// Only rows' nonzero entries are visited: ReLU activations and MNIST pixels are mostly zero.

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
  }

  /**
   * Adds `rows` rows: x (rows x inputs, the pruned model's inputs of the layer) and y (rows x m,
   * the target outputs, bias included).
   */
  add(x: Float32Array, y: Float32Array, rows: number): void {
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

  /** Mirrors the lower triangle of H into the upper one; call once, after the last add(). */
  finish(): this {
    if (this.done) return this;
    const { d, h } = this;
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
