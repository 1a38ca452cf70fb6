// Zero-preserving quantization in the formats tfjs reads from a weights manifest.
//
// Stock tfjs dequantizes uint8/uint16 as `values[i] = q * scale + min`, in float64 arithmetic,
// stored into a Float32Array (tfjs-core io_utils decodeWeight). With an integer zero point z and
// min = -(z * scale) computed in float64, q = z gives z*scale + (-(z*scale)) = +0 exactly, and
// JSON keeps both numbers bit for bit (JSON.stringify prints the shortest round-trip form).
// float16 has an exact +0.

export interface AffineParams {
  scale: number;
  min: number;
  /** The integer code that dequantizes to exactly 0. */
  zero: number;
}

export const LEVELS = { uint8: 255, uint16: 65535 } as const;

/**
 * Affine parameters covering [lo, hi] widened to include 0, with 0 on the grid (the nudging of
 * TF's FakeQuant and of tfjs-converter): scale = (hi - lo) / levels, zero = round(-lo / scale),
 * min = -(zero * scale). The grid ends move by at most scale / 2.
 */
export function affineParams(lo: number, hi: number, levels: number): AffineParams {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  const scale = (b - a) / levels;
  // An empty range, or one so narrow that its step underflows: every value codes as 0.
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, min: 0, zero: 0 };
  const zero = Math.min(levels, Math.max(0, Math.round(-a / scale)));
  return { scale, min: zeroMin(zero, scale), zero };
}

/** min such that zero * scale + min is exactly 0 in float64 (and never -0 in JSON). */
export function zeroMin(zero: number, scale: number): number {
  const m = -(zero * scale);
  return m === 0 ? 0 : m;
}

/**
 * When an existing uint8/uint16 grid (scale, min) already holds 0 to within a thousandth of a
 * step, the code of that point; else null. Keeping such a grid leaves every surviving code as it
 * was (values move by at most scale / 1000 once min is made exact).
 */
export function gridZero(scale: number, min: number, levels: number): number | null {
  if (!(scale > 0)) return null;
  const z = Math.round(-min / scale);
  if (z < 0 || z > levels) return null;
  return Math.abs(z * scale + min) <= scale * 1e-3 ? z : null;
}

/** q = round(v / scale) + zero, clamped; exact zeros get `zero` itself. Returns the zero count. */
export function quantizeAffine(values: Float32Array, p: AffineParams, levels: number, out: Uint8Array | Uint16Array): number {
  // One loop per output type: a loop that sees both array types runs several times slower in V8.
  return out instanceof Uint8Array ? quantizeU8(values, p.scale, p.zero, levels, out) : quantizeU16(values, p.scale, p.zero, levels, out);
}

function quantizeU8(values: Float32Array, scale: number, zero: number, levels: number, out: Uint8Array): number {
  const inv = 1 / scale;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let q = v === 0 ? zero : Math.round(v * inv) + zero;
    if (q < 0) q = 0;
    else if (q > levels) q = levels;
    if (q === zero) zeros++;
    out[i] = q;
  }
  return zeros;
}

function quantizeU16(values: Float32Array, scale: number, zero: number, levels: number, out: Uint16Array): number {
  const inv = 1 / scale;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let q = v === 0 ? zero : Math.round(v * inv) + zero;
    if (q < 0) q = 0;
    else if (q > levels) q = levels;
    if (q === zero) zeros++;
    out[i] = q;
  }
  return zeros;
}

/** values[i] = q[i] * scale + min, exactly as tfjs computes it. */
export function dequantizeAffine(q: Uint8Array | Uint16Array, scale: number, min: number, out: Float32Array): void {
  if (q instanceof Uint8Array) dequantizeU8(q, scale, min, out);
  else dequantizeU16(q, scale, min, out);
}

function dequantizeU8(q: Uint8Array, scale: number, min: number, out: Float32Array): void {
  // 256 codes: a table is exact (the same float64 expression) and cheaper than the arithmetic.
  const table = new Float32Array(256);
  for (let c = 0; c < 256; c++) table[c] = c * scale + min;
  for (let i = 0; i < q.length; i++) out[i] = table[q[i]];
}

function dequantizeU16(q: Uint16Array, scale: number, min: number, out: Float32Array): void {
  for (let i = 0; i < q.length; i++) out[i] = q[i] * scale + min;
}

// ---- float16 ---------------------------------------------------------------------------------

let halfTable: Float32Array | null = null;

/** IEEE half to float32 (what tfjs' getFloat16Decoder computes), through a 65536-entry table. */
export function decodeFloat16(h: Uint16Array, out: Float32Array): void {
  const table = (halfTable ??= makeHalfTable());
  for (let i = 0; i < h.length; i++) out[i] = table[h[i]];
}

function makeHalfTable(): Float32Array {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let x = 0; x < 65536; x++) {
    const sign = (x & 0x8000) << 16;
    const exp = (x >>> 10) & 0x1f;
    const mant = x & 0x3ff;
    let b: number;
    if (exp === 0) {
      if (mant === 0) b = sign;
      else {
        // Subnormal half: normalise into a float32 exponent.
        let e = -1;
        let m = mant;
        do {
          e++;
          m <<= 1;
        } while ((m & 0x400) === 0);
        b = sign | ((127 - 15 - e) << 23) | ((m & 0x3ff) << 13);
      }
    } else if (exp === 31) b = sign | 0x7f800000 | (mant << 13);
    else b = sign | ((exp + 112) << 23) | (mant << 13);
    bits[x] = b >>> 0;
  }
  return table;
}

/**
 * float32 to IEEE half, round to nearest even. Finite values beyond the half range saturate to
 * +-65504 (a weight becomes large, not infinite); NaN stays NaN; zeros keep their sign, and
 * callers write pruned weights as +0. Returns the number of zeros written.
 */
export function encodeFloat16(values: Float32Array, out: Uint16Array): number {
  let zeros = 0;
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const abs = x & 0x7fffffff;
    let h: number;
    if (abs > 0x7f800000) h = 0x7e00; // NaN
    else if (abs === 0x7f800000) h = sign | 0x7c00;
    else if (abs >= 0x477ff000) h = sign | 0x7bff; // rounds past 65504: saturate
    else if (abs >= 0x38800000) {
      // Normal half: drop 13 mantissa bits with round-to-nearest-even.
      const r = abs + 0xfff + ((abs >>> 13) & 1);
      h = sign | ((r - 0x38000000) >>> 13);
    } else if (abs > 0x33000000) {
      // Subnormal half.
      const e = abs >>> 23;
      const m = (abs & 0x7fffff) | 0x800000;
      const shift = 126 - e; // 14 + (112 - e) + ... : places the value in units of 2^-24
      const q = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      h = sign | (q + (rem > half || (rem === half && (q & 1) === 1) ? 1 : 0));
    } else h = sign; // rounds to zero
    if ((h & 0x7fff) === 0) zeros++;
    out[i] = h;
  }
  return zeros;
}
