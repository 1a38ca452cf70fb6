// The rows a layer's weights multiply, cut from one batch of its input: a Dense layer's input as
// rows of `inputs`; a Conv2D's im2col patches ([kh, kw, cin] flattened, the order of its kernel
// reshaped to [kh·kw·cin, cout]), produced a few samples at a time so that the full im2col of a
// large input never exists at once. Plain typed arrays; the walk (walk.ts) owns the tensors.

export interface DenseGeometry {
  kind: 'dense';
  inputs: number;
}

export interface ConvGeometry {
  kind: 'conv2d';
  kh: number;
  kw: number;
  cin: number;
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
}

/** DepthwiseConv2D: patches as Conv2D's; channel c's outputs read only its kh·kw values. */
export interface DepthwiseGeometry extends Omit<ConvGeometry, 'kind'> {
  kind: 'depthwise';
  /** Depth multiplier: outputs per input channel. */
  mult: number;
}

export type Geometry = DenseGeometry | ConvGeometry | DepthwiseGeometry;

/** Values per row (a Dense input, or a whole [kh, kw, cin] patch). */
export function rowLength(g: Geometry): number {
  return g.kind === 'dense' ? g.inputs : g.kh * g.kw * g.cin;
}

/** Most patch values handed out at once (4 Mi floats, 16 MiB). */
const CHUNK_VALUES = 1 << 22;

/**
 * Calls `emit(rows, count)` with consecutive row blocks of a batch, cut alike from each of `xs`
 * (several views of the same input: the pruned and the dense model's), `rows[k]` from `xs[k]`.
 * Each x is the batch's input values (Dense: any shape ending in `inputs`; Conv2D: NHWC), `shape`
 * their shape. The rows handed out are valid until emit returns.
 */
export function forEachRows(g: Geometry, xs: Float32Array[], shape: readonly number[], emit: (rows: Float32Array[], count: number) => void): void {
  if (g.kind === 'dense') {
    const count = xs[0].length / g.inputs;
    const per = Math.max(1, Math.floor(CHUNK_VALUES / Math.max(1, g.inputs)));
    for (let s = 0; s < count; s += per) {
      const c = Math.min(per, count - s);
      emit(
        xs.map((x) => x.subarray(s * g.inputs, (s + c) * g.inputs)),
        c,
      );
    }
    return;
  }
  const [b, h, w, c] = shape;
  const { kh, kw, cin } = g;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const oh = g.padding === 'same' ? Math.ceil(h / sh) : Math.floor((h - eh) / sh) + 1;
  const ow = g.padding === 'same' ? Math.ceil(w / sw) : Math.floor((w - ew) / sw) + 1;
  if (oh <= 0 || ow <= 0) return;
  const top = g.padding === 'same' ? Math.floor(Math.max(0, (oh - 1) * sh + eh - h) / 2) : 0;
  const left = g.padding === 'same' ? Math.floor(Math.max(0, (ow - 1) * sw + ew - w) / 2) : 0;
  const d = kh * kw * cin;
  const perSample = oh * ow;
  const samplesPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / (perSample * d)));
  const bufs = xs.map(() => new Float32Array(Math.min(b, samplesPerChunk) * perSample * d));
  for (let s0 = 0; s0 < b; s0 += samplesPerChunk) {
    const s1 = Math.min(b, s0 + samplesPerChunk);
    for (const buf of bufs) buf.fill(0);
    let row = 0;
    for (let s = s0; s < s1; s++) {
      const base = s * h * w * c;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, row++) {
          const out = row * d;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - top + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - left + kx * dw;
              if (ix < 0 || ix >= w) continue;
              const src = base + (iy * w + ix) * c;
              for (let k = 0; k < xs.length; k++) bufs[k].set(xs[k].subarray(src, src + cin), out + (ky * kw + kx) * cin);
            }
          }
        }
      }
    }
    emit(
      bufs.map((buf) => buf.subarray(0, row * d)),
      row,
    );
  }
}
