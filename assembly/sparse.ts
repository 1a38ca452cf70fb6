// Sparse inference kernels: y = act(x · W + bias) with W pruned and held in the compressed form
// src/sparse/format.ts describes (per output unit: a count, then, over all units, the input
// indices — u16, or u32 when the input size exceeds 65536 — and the float32 values; units in
// blocks of four whose first min-count pairs are interleaved step by step, then each unit's tail;
// each unit's pairs in ascending input index).
//
// A module of its own (asconfig.json `sparse-*` targets), built like tensor.ts with
// `--importMemory --noExportMemory`: no data segments, no start function, no allocation, so one
// instance sits on tfjs-backend-wasm's memory and reads tensors where they live.
//
// Summation order is the contract: every output starts from its bias (or +0) and adds
// value·x[index] over its pairs in ascending input index, one rounding per multiply and per add,
// exactly as XNNPACK's dense GEMM (which tfjs-backend-wasm runs) adds value·x over every input
// index. A pruned weight adds 0·x = ±0, which leaves a sum unchanged unless x is ±Infinity or NaN,
// so the outputs equal the dense product bit for bit on finite inputs. The SIMD build, the scalar
// build and the pure-JS one (src/sparse/spmm_js.ts) vectorize across outputs or batch rows, never
// within one sum, and agree bit for bit.
//
// relu / relu6 clamp as XNNPACK's minmax kernels do: acc = lo < acc ? acc : lo, then
// acc < hi ? acc : hi (so a NaN sum becomes lo). `act`: 0 linear (no clamp), 1 relu, 2 relu6.

export function isSimd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

// @ts-ignore: decorator
@inline function clampLo(a: f32, act: u32): f32 {
  return act == 0 ? a : (<f32>0 < a ? a : <f32>0);
}

// @ts-ignore: decorator
@inline function clamp(a: f32, act: u32): f32 {
  const b = clampLo(a, act);
  return act == 2 ? (b < <f32>6 ? b : <f32>6) : b;
}

/**
 * y[r, :] for rows r < rows of x ([rows, k] row-major) — the kernel for batch 1 and 2 (the op
 * switches to the panels from 3 rows on; this one is correct for any number of rows).
 * A block of four units keeps their four sums in the lanes of one accumulator through the
 * interleaved steps (SIMD: one v128 load of four values, four x gathered by lane loads, one
 * multiply and one add per step; scalar: four independent add chains), then adds each unit's tail.
 *   countsPtr: u32[n]  idxPtr: u16|u32[nnz]  valPtr: f32[nnz]  biasPtr: f32[n] (hasBias)  yPtr: f32[rows, n]
 */
export function spmmRows(xPtr: usize, rows: u32, k: u32, n: u32, countsPtr: usize, idxPtr: usize, wide: u32,
  valPtr: usize, biasPtr: usize, hasBias: u32, yPtr: usize, act: u32): void {
  if (wide != 0) rowsT<u32>(xPtr, rows, k, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, yPtr, act);
  else rowsT<u16>(xPtr, rows, k, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, yPtr, act);
}

// Loops walk pointers (ip into the indices, vp into the values) rather than pair numbers: V8
// then spends one add per pointer and step instead of an address computation per load, and keeps
// everything in registers (measured: batch 1 12-15% faster, batch 64 ~5%; bench/README.md).

// a + value·x[index] over the c pairs from ip / vp, one after the other.
// @ts-ignore: decorator
@inline function dot<I>(x: usize, ip: usize, vp: usize, c: u32, a: f32): f32 {
  const ve = vp + (<usize>c << 2);
  for (; vp < ve; vp += 4, ip += sizeof<I>()) a += load<f32>(vp) * load<f32>(x + (<usize>load<I>(ip) << 2));
  return a;
}

// x at the four indices from ip, as one v128 (the index loads are zero-extending loads, no shifts).
// @ts-ignore: decorator
@inline function gather4<I>(x: usize, ip: usize): v128 {
  let xv = v128.load32_zero(x + (<usize>load<I>(ip) << 2));
  xv = v128.load32_lane(x + (<usize>load<I>(ip, sizeof<I>()) << 2), xv, 1);
  xv = v128.load32_lane(x + (<usize>load<I>(ip, 2 * sizeof<I>()) << 2), xv, 2);
  return v128.load32_lane(x + (<usize>load<I>(ip, 3 * sizeof<I>()) << 2), xv, 3);
}

// @ts-ignore: decorator
@inline function unitBias(biasPtr: usize, hasBias: u32, u: u32): f32 {
  return hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0;
}

function rowsT<I>(xPtr: usize, rows: u32, k: u32, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, yPtr: usize, act: u32): void {
  for (let r: u32 = 0; r < rows; r++) {
    const x = xPtr + ((<usize>r * k) << 2);
    const y = yPtr + ((<usize>r * n) << 2);
    let ip = idxPtr, vp = valPtr;
    let u: u32 = 0;
    for (; u + 4 <= n; u += 4) {
      const cp = countsPtr + (<usize>u << 2);
      const c0 = load<u32>(cp), c1 = load<u32>(cp, 4), c2 = load<u32>(cp, 8), c3 = load<u32>(cp, 12);
      const m = min(min(c0, c1), min(c2, c3));
      let a0 = unitBias(biasPtr, hasBias, u), a1 = unitBias(biasPtr, hasBias, u + 1);
      let a2 = unitBias(biasPtr, hasBias, u + 2), a3 = unitBias(biasPtr, hasBias, u + 3);
      // The m interleaved steps: pairs 4s + j belong to unit j.
      const ve = vp + (<usize>m << 4);
      if (ASC_FEATURE_SIMD) {
        let a = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a0), 1, a1), 2, a2), 3, a3);
        for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) a = f32x4.add(a, f32x4.mul(v128.load(vp), gather4<I>(x, ip)));
        a0 = f32x4.extract_lane(a, 0);
        a1 = f32x4.extract_lane(a, 1);
        a2 = f32x4.extract_lane(a, 2);
        a3 = f32x4.extract_lane(a, 3);
      } else {
        for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
          a0 += load<f32>(vp) * load<f32>(x + (<usize>load<I>(ip) << 2));
          a1 += load<f32>(vp, 4) * load<f32>(x + (<usize>load<I>(ip, sizeof<I>()) << 2));
          a2 += load<f32>(vp, 8) * load<f32>(x + (<usize>load<I>(ip, 2 * sizeof<I>()) << 2));
          a3 += load<f32>(vp, 12) * load<f32>(x + (<usize>load<I>(ip, 3 * sizeof<I>()) << 2));
        }
      }
      // Then each unit's tail.
      a0 = dot<I>(x, ip, vp, c0 - m, a0);
      ip += <usize>(c0 - m) * sizeof<I>();
      vp += <usize>(c0 - m) << 2;
      a1 = dot<I>(x, ip, vp, c1 - m, a1);
      ip += <usize>(c1 - m) * sizeof<I>();
      vp += <usize>(c1 - m) << 2;
      a2 = dot<I>(x, ip, vp, c2 - m, a2);
      ip += <usize>(c2 - m) * sizeof<I>();
      vp += <usize>(c2 - m) << 2;
      a3 = dot<I>(x, ip, vp, c3 - m, a3);
      ip += <usize>(c3 - m) * sizeof<I>();
      vp += <usize>(c3 - m) << 2;
      store<f32>(y + (<usize>u << 2), clamp(a0, act));
      store<f32>(y + (<usize>u << 2), clamp(a1, act), 4);
      store<f32>(y + (<usize>u << 2), clamp(a2, act), 8);
      store<f32>(y + (<usize>u << 2), clamp(a3, act), 12);
    }
    for (; u < n; u++) {
      const c = load<u32>(countsPtr + (<usize>u << 2));
      const a = dot<I>(x, ip, vp, c, unitBias(biasPtr, hasBias, u));
      ip += <usize>c * sizeof<I>();
      vp += <usize>c << 2;
      store<f32>(y + (<usize>u << 2), clamp(a, act));
    }
  }
}

/**
 * The panel width for the batch lanes starting at `t` of `lanes` (a multiple of 4): `max` (32
 * or 16) while that many fit, then 16, 8, 4.
 */
// @ts-ignore: decorator
@inline function panelWidth(t: u32, lanes: u32, max: u32 = 16): u32 {
  const left = lanes - t;
  return left >= max ? max : left >= 16 ? 16 : left >= 8 ? 8 : 4;
}

/**
 * xt = x transposed into panels, the layout spmmPanels reads. x is [rows, k] row-major; the
 * batch is padded with zeros to lanes = rows rounded up to a multiple of 4 and cut into panels of
 * 16, 8 or 4 lanes. The panel of lanes [t, t + w) starts at float t·k and holds, for each input
 * index i, the w batch values x[t..t+w, i] side by side:
 *
 *   panel t:  i=0: x[t,0] x[t+1,0] … x[t+w-1,0] | i=1: x[t,1] … | … | i=k-1 …
 *
 * so a nonzero weight's input row is one 16/32/64-byte load per 4 lanes. xtPtr: f32[lanes · k].
 */
export function transposePanels(xPtr: usize, rows: u32, k: u32, xtPtr: usize): void {
  const lanes = (rows + 3) & ~3;
  for (let t: u32 = 0; t < lanes;) {
    const w = panelWidth(t, lanes);
    transposePanel(xPtr, rows, k, t, w, xtPtr + ((<usize>t * k) << 2));
    t += w;
  }
}

// The panel of the w lanes from row t of x, written from `base` (rows past x read as zeros).
function transposePanel(xPtr: usize, rows: u32, k: u32, t: u32, w: u32, base: usize): void {
  const wb = <usize>w << 2;
  for (let g: u32 = 0; g < w; g += 4) {
    const r0 = t + g;
    const dst = base + (<usize>g << 2);
    let i: u32 = 0;
    if (ASC_FEATURE_SIMD && r0 + 4 <= rows) {
      // Four rows by four inputs at a time: four loads, a 4×4 transpose, four stores.
      const s0 = xPtr + ((<usize>r0 * k) << 2);
      const rs = <usize>k << 2;
      for (; i + 4 <= k; i += 4) {
        const o = <usize>i << 2;
        const a = v128.load(s0 + o);
        const b = v128.load(s0 + rs + o);
        const c = v128.load(s0 + 2 * rs + o);
        const d = v128.load(s0 + 3 * rs + o);
        const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
        const cd0 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
        const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
        const cd1 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
        const p = dst + <usize>i * wb;
        v128.store(p, v128.shuffle<f32>(ab0, cd0, 0, 1, 4, 5));
        v128.store(p + wb, v128.shuffle<f32>(ab0, cd0, 2, 3, 6, 7));
        v128.store(p + 2 * wb, v128.shuffle<f32>(ab1, cd1, 0, 1, 4, 5));
        v128.store(p + 3 * wb, v128.shuffle<f32>(ab1, cd1, 2, 3, 6, 7));
      }
    }
    for (let l: u32 = 0; l < 4; l++) {
      const r = r0 + l;
      const d = dst + (<usize>l << 2);
      if (r < rows) {
        const src = xPtr + ((<usize>r * k) << 2);
        for (let j = i; j < k; j++) store<f32>(d + <usize>j * wb, load<f32>(src + (<usize>j << 2)));
      } else {
        for (let j = i; j < k; j++) store<f32>(d + <usize>j * wb, 0);
      }
    }
  }
}

/**
 * The im2col patches of an image batch, written straight into the panel layout transposePanels
 * writes (so a k×k convolution is spmmPanels on them: im2col and the transpose in one pass).
 * x is float32 NHWC [b, h, w, c]; strides sh, sw, dilations dh, dw, `padT` / `padL` zero rows /
 * columns before the image, output oh × ow pixels. Row r = (bi · oh + oy) · ow + ox of the product
 * is output pixel (bi, oy, ox); its input index i = (ky · kw + kx) · c + ch holds
 * x[bi, oy·sh + ky·dh - padT, ox·sw + kx·dw - padL, ch], 0 outside the image — the order in which XNNPACK's
 * convolution sums (kernel position, then channel), so the product equals tfjs' conv2d bit for
 * bit. xtPtr: f32[lanes · kh · kw · c], lanes = b · oh · ow rounded up to a multiple of 4.
 */
export function im2colPanels(xPtr: usize, b: u32, h: u32, w: u32, c: u32, kh: u32, kw: u32, padT: u32, padL: u32,
  sh: u32, sw: u32, dh: u32, dw: u32, oh: u32, ow: u32, xtPtr: usize): void {
  im2colRange(xPtr, b, h, w, c, kh, kw, padT, padL, sh, sw, dh, dw, oh, ow, 0, (b * oh * ow + 3) & ~3, xtPtr);
}

// im2colPanels for the `lanes` rows from `first` only (a multiple of 4; rows past the image
// batch read as zeros), laid out as panels of their own from xtPtr.
function im2colRange(xPtr: usize, b: u32, h: u32, w: u32, c: u32, kh: u32, kw: u32, padT: u32, padL: u32,
  sh: u32, sw: u32, dh: u32, dw: u32, oh: u32, ow: u32, first: u32, lanes: u32, xtPtr: usize): void {
  const rows = b * oh * ow;
  const k = kh * kw * c;
  const cb = <usize>c << 2;
  for (let t: u32 = 0; t < lanes;) {
    const pw = panelWidth(t, lanes);
    const wb = <usize>pw << 2;
    const base = xtPtr + ((<usize>t * k) << 2);
    for (let g: u32 = 0; g < pw; g += 4) {
      // The four pixels of this lane group: image, and the input row and column of their patch's
      // corner before padding (a padding lane past the last row gets an image row that is never
      // inside: it reads as zeros).
      const r0 = first + t + g;
      let b0: u32 = 0, y0: i32 = -1 << 30, x0: u32 = 0;
      let b1: u32 = 0, y1: i32 = -1 << 30, x1: u32 = 0;
      let b2: u32 = 0, y2: i32 = -1 << 30, x2: u32 = 0;
      let b3: u32 = 0, y3: i32 = -1 << 30, x3: u32 = 0;
      if (r0 < rows) { x0 = (r0 % ow) * sw; y0 = <i32>(((r0 / ow) % oh) * sh); b0 = r0 / (ow * oh); }
      if (r0 + 1 < rows) { x1 = ((r0 + 1) % ow) * sw; y1 = <i32>((((r0 + 1) / ow) % oh) * sh); b1 = (r0 + 1) / (ow * oh); }
      if (r0 + 2 < rows) { x2 = ((r0 + 2) % ow) * sw; y2 = <i32>((((r0 + 2) / ow) % oh) * sh); b2 = (r0 + 2) / (ow * oh); }
      if (r0 + 3 < rows) { x3 = ((r0 + 3) % ow) * sw; y3 = <i32>((((r0 + 3) / ow) % oh) * sh); b3 = (r0 + 3) / (ow * oh); }
      for (let ky: u32 = 0; ky < kh; ky++) {
        for (let kx: u32 = 0; kx < kw; kx++) {
          const dy = <i32>(ky * dh) - <i32>padT;
          const dx = <i32>(kx * dw) - <i32>padL;
          const s0 = pixelPtr(xPtr, h, w, cb, b0, y0 + dy, <i32>x0 + dx);
          const s1 = pixelPtr(xPtr, h, w, cb, b1, y1 + dy, <i32>x1 + dx);
          const s2 = pixelPtr(xPtr, h, w, cb, b2, y2 + dy, <i32>x2 + dx);
          const s3 = pixelPtr(xPtr, h, w, cb, b3, y3 + dy, <i32>x3 + dx);
          const col = base + (<usize>g << 2) + <usize>((ky * kw + kx) * c) * wb;
          let ch: u32 = 0;
          if (ASC_FEATURE_SIMD) {
            // Four channels by four pixels at a time: four loads, a 4×4 transpose, four stores.
            const z = f32x4.splat(0);
            for (; ch + 4 <= c; ch += 4) {
              const o = <usize>ch << 2;
              const a = s0 != 0 ? v128.load(s0 + o) : z;
              const bb = s1 != 0 ? v128.load(s1 + o) : z;
              const cc = s2 != 0 ? v128.load(s2 + o) : z;
              const d = s3 != 0 ? v128.load(s3 + o) : z;
              const ab0 = v128.shuffle<f32>(a, bb, 0, 4, 1, 5);
              const cd0 = v128.shuffle<f32>(cc, d, 0, 4, 1, 5);
              const ab1 = v128.shuffle<f32>(a, bb, 2, 6, 3, 7);
              const cd1 = v128.shuffle<f32>(cc, d, 2, 6, 3, 7);
              const p = col + <usize>ch * wb;
              v128.store(p, v128.shuffle<f32>(ab0, cd0, 0, 1, 4, 5));
              v128.store(p + wb, v128.shuffle<f32>(ab0, cd0, 2, 3, 6, 7));
              v128.store(p + 2 * wb, v128.shuffle<f32>(ab1, cd1, 0, 1, 4, 5));
              v128.store(p + 3 * wb, v128.shuffle<f32>(ab1, cd1, 2, 3, 6, 7));
            }
          }
          for (; ch < c; ch++) {
            const o = <usize>ch << 2;
            const p = col + <usize>ch * wb;
            store<f32>(p, s0 != 0 ? load<f32>(s0 + o) : 0);
            store<f32>(p, s1 != 0 ? load<f32>(s1 + o) : 0, 4);
            store<f32>(p, s2 != 0 ? load<f32>(s2 + o) : 0, 8);
            store<f32>(p, s3 != 0 ? load<f32>(s3 + o) : 0, 12);
          }
        }
      }
    }
    t += pw;
  }
}

// Byte address of pixel (bi, y, x) of the image batch, or 0 when (y, x) is outside the image (a
// tensor of the backend never sits at address 0).
// @ts-ignore: decorator
@inline function pixelPtr(xPtr: usize, h: u32, w: u32, cb: usize, bi: u32, y: i32, x: i32): usize {
  if (y < 0 || x < 0 || <u32>y >= h || <u32>x >= w) return 0;
  return xPtr + <usize>((bi * h + <u32>y) * w + <u32>x) * cb;
}

/**
 * The inverse of transposePanels for the output: y[r, u] = yt at panel t, unit u, lane r - t,
 * where yt holds, per panel of w lanes starting at float t·n, each unit's w lanes side by side.
 * Padding lanes are not copied. yPtr: f32[rows, n] row-major.
 */
export function untransposePanels(ytPtr: usize, rows: u32, n: u32, yPtr: usize): void {
  const lanes = (rows + 3) & ~3;
  for (let t: u32 = 0; t < lanes;) {
    const w = panelWidth(t, lanes);
    untransposePanel(ytPtr + ((<usize>t * n) << 2), rows, n, t, w, yPtr);
    t += w;
  }
}

// The w lanes of the output panel at `base` into rows t… of y (padding lanes are not copied).
function untransposePanel(base: usize, rows: u32, n: u32, t: u32, w: u32, yPtr: usize): void {
  const wb = <usize>w << 2;
  for (let g: u32 = 0; g < w; g += 4) {
    const r0 = t + g;
    const src = base + (<usize>g << 2);
    let u: u32 = 0;
    if (ASC_FEATURE_SIMD && r0 + 4 <= rows) {
      // Four units by four rows at a time (the transpose of transposePanel's step).
      const d0 = yPtr + ((<usize>r0 * n) << 2);
      const rs = <usize>n << 2;
      for (; u + 4 <= n; u += 4) {
        const p = src + <usize>u * wb;
        const a = v128.load(p);
        const b = v128.load(p + wb);
        const c = v128.load(p + 2 * wb);
        const d = v128.load(p + 3 * wb);
        const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
        const cd0 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
        const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
        const cd1 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
        const o = d0 + (<usize>u << 2);
        v128.store(o, v128.shuffle<f32>(ab0, cd0, 0, 1, 4, 5));
        v128.store(o + rs, v128.shuffle<f32>(ab0, cd0, 2, 3, 6, 7));
        v128.store(o + 2 * rs, v128.shuffle<f32>(ab1, cd1, 0, 1, 4, 5));
        v128.store(o + 3 * rs, v128.shuffle<f32>(ab1, cd1, 2, 3, 6, 7));
      }
    }
    for (let l: u32 = 0; l < 4 && r0 + l < rows; l++) {
      const sl = src + (<usize>l << 2);
      const dst = yPtr + ((<usize>(r0 + l) * n) << 2);
      for (let j = u; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(sl + <usize>j * wb));
    }
  }
}

/**
 * transposePanels, spmmPanels and untransposePanels panel by panel, with panels of up to
 * `maxWidth` lanes (32 or 16): each panel of x is transposed into `scratchPtr` (cap · k floats,
 * cap = min(maxWidth, lanes), lanes = rows rounded up to a multiple of 4), multiplied into the
 * cap · n floats after it, and written back to its rows of y ([rows, n] row-major) while both
 * are still in cache. Same sums as the three calls (bit for bit).
 * The op's kernel for batch ≥ 3, with 32 lanes (bench/README.md, "Where the time goes").
 * scratchPtr: f32[cap · (k + n)] and 64 bytes more; give it on a 64-byte boundary (a cache line):
 * a panel's rows (cap · 4 bytes, 128 at 32 lanes) then each span whole lines, and the output
 * panel is moved up to the next boundary too (at 1024x1024 batch 64, 90%: 0.49 against 0.57 ms
 * with the scratch 16 bytes past a boundary, as malloc may give it; bench/README.md).
 */
export function spmmPanelsFused(xPtr: usize, rows: u32, k: u32, n: u32, countsPtr: usize, idxPtr: usize, wide: u32,
  valPtr: usize, biasPtr: usize, hasBias: u32, yPtr: usize, act: u32, scratchPtr: usize, maxWidth: u32): void {
  const max: u32 = maxWidth >= 32 ? 32 : 16;
  const lanes = (rows + 3) & ~3;
  const out = (scratchPtr + ((<usize>min(max, lanes) * k) << 2) + 63) & ~63;
  for (let t: u32 = 0; t < lanes;) {
    const w = panelWidth(t, lanes, max);
    transposePanel(xPtr, rows, k, t, w, scratchPtr);
    if (wide != 0) panelT<u32>(scratchPtr, w, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, out, act);
    else panelT<u16>(scratchPtr, w, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, out, act);
    untransposePanel(out, rows, n, t, w, yPtr);
    t += w;
  }
}

/**
 * act(x · W + bias) for a batch of `rows` (the kernel for batch ≥ 3), x given as transposePanels
 * wrote it, the result written in the same panel layout (untransposePanels makes it [rows, n]).
 * As XNNPACK's f32-spmm: each nonzero weight is splatted and multiply-added against the v128s of
 * its input row in the panel, one accumulator per batch lane (16, 8 or 4 lanes per pass), and
 * each unit's lanes are stored side by side (whole v128 stores). Panels outer, output units
 * inner: a panel (k · 64 bytes at most) stays in cache while every unit's pairs stream past it.
 * ytPtr: f32[lanes · n].
 */
export function spmmPanels(xtPtr: usize, rows: u32, k: u32, n: u32, countsPtr: usize, idxPtr: usize, wide: u32,
  valPtr: usize, biasPtr: usize, hasBias: u32, ytPtr: usize, act: u32): void {
  if (wide != 0) panelsT<u32>(xtPtr, rows, k, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, ytPtr, act);
  else panelsT<u16>(xtPtr, rows, k, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, ytPtr, act);
}

function panelsT<I>(xtPtr: usize, rows: u32, k: u32, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, ytPtr: usize, act: u32): void {
  const lanes = (rows + 3) & ~3;
  for (let t: u32 = 0; t < lanes;) {
    const w = panelWidth(t, lanes);
    panelT<I>(xtPtr + ((<usize>t * k) << 2), w, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, ytPtr + ((<usize>t * n) << 2), act);
    t += w;
  }
}

// One panel of w lanes. Lanes handled per pass over a unit's pairs: the whole panel (SIMD: 8, 4,
// 2 or 1 v128 accumulators), or one group of 4 (scalar build: four scalar sums).
// @ts-ignore: decorator
@inline function panelT<I>(panel: usize, w: u32, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, out: usize, act: u32): void {
  if (ASC_FEATURE_SIMD) {
    if (w == 32) panelSimd32<I>(panel, out, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, act);
    else if (w == 16) panelSimd16<I>(panel, out, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, act);
    else if (w == 8) panelSimd8<I>(panel, out, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, act);
    else panelSimd4<I>(panel, out, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, act);
  } else {
    for (let g: u32 = 0; g < w; g += 4) panelScalar4<I>(panel, out, w, g, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, act);
  }
}

/**
 * A k×k convolution panel by panel: for each panel of output pixels, im2colRange writes its
 * patches into `scratchPtr` (16 · kh · kw · c floats at most, small enough to stay in cache)
 * and the panel kernel multiplies them into ytPtr (the layout spmmPanels writes; then
 * untransposePanels). Same arguments as im2colPanels and spmmPanels.
 */
export function spmmConvPanels(xPtr: usize, b: u32, h: u32, w: u32, c: u32, kh: u32, kw: u32, padT: u32, padL: u32,
  sh: u32, sw: u32, dh: u32, dw: u32, oh: u32, ow: u32, n: u32, countsPtr: usize, idxPtr: usize, wide: u32, valPtr: usize, biasPtr: usize, hasBias: u32,
  ytPtr: usize, act: u32, scratchPtr: usize): void {
  const lanes = (b * oh * ow + 3) & ~3;
  for (let t: u32 = 0; t < lanes;) {
    const pw = panelWidth(t, lanes);
    im2colRange(xPtr, b, h, w, c, kh, kw, padT, padL, sh, sw, dh, dw, oh, ow, t, pw, scratchPtr);
    const out = ytPtr + ((<usize>t * n) << 2);
    if (wide != 0) panelT<u32>(scratchPtr, pw, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, out, act);
    else panelT<u16>(scratchPtr, pw, n, countsPtr, idxPtr, valPtr, biasPtr, hasBias, out, act);
    t += pw;
  }
}

// Walking the units of the panel kernels: for unit u, its s-th pair (s < count) is at
// s < lock ? lockBase + 4s : tailBase + s - lock (format.ts, "Pair order"). A block's state is
// refreshed at its first unit; `next` is the pair after everything walked so far.

// @ts-ignore: decorator
@inline function clampV(a: v128, act: u32): v128 {
  if (act == 0) return a;
  const b = f32x4.pmax(f32x4.splat(0), a);
  return act == 2 ? f32x4.pmin(f32x4.splat(6), b) : b;
}

// panelSimd16 for a panel of 32 lanes: eight accumulators. `if (vp == 0) break` is never taken
// (no operand sits at address 0), but it sends a0-a3 out of the loop, so V8 finishes their four
// multiply-adds before it loads the next four rows; without it V8 loads all eight rows first and
// spills an accumulator (0.78 against 0.51 ms at 1024x1024 batch 64; bench/README.md).
function panelSimd32<I>(panel: usize, out: usize, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, act: u32): void {
  let next: usize = 0, lockBase: usize = 0, tail: usize = 0, lock: u32 = 0;
  const blocks = n & ~3;
  for (let u: u32 = 0; u < n; u++) {
    const c = load<u32>(countsPtr + (<usize>u << 2));
    if (u < blocks) {
      if ((u & 3) == 0) {
        const cp = countsPtr + (<usize>u << 2);
        lock = min(min(c, load<u32>(cp, 4)), min(load<u32>(cp, 8), load<u32>(cp, 12)));
        lockBase = next;
        tail = next + (<usize>lock << 2);
      }
    } else {
      lock = 0;
      tail = next;
    }
    const lb = lockBase + (u & 3);
    const tb = tail - lock;
    const b = f32x4.splat(hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0);
    let a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    // The interleaved steps (stride 4), then the tail: two loops, no per-pair select.
    let ip = idxPtr + lb * sizeof<I>(), vp = valPtr + (lb << 2);
    const ve = vp + (<usize>lock << 4);
    for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 7);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v, v128.load(row, 48)));
      if (vp == 0) break;
      a4 = f32x4.add(a4, f32x4.mul(v, v128.load(row, 64)));
      a5 = f32x4.add(a5, f32x4.mul(v, v128.load(row, 80)));
      a6 = f32x4.add(a6, f32x4.mul(v, v128.load(row, 96)));
      a7 = f32x4.add(a7, f32x4.mul(v, v128.load(row, 112)));
    }
    ip = idxPtr + (tb + lock) * sizeof<I>();
    vp = valPtr + ((tb + lock) << 2);
    const te = vp + (<usize>(c - lock) << 2);
    for (; vp < te; vp += 4, ip += sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 7);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v, v128.load(row, 48)));
      if (vp == 0) break;
      a4 = f32x4.add(a4, f32x4.mul(v, v128.load(row, 64)));
      a5 = f32x4.add(a5, f32x4.mul(v, v128.load(row, 80)));
      a6 = f32x4.add(a6, f32x4.mul(v, v128.load(row, 96)));
      a7 = f32x4.add(a7, f32x4.mul(v, v128.load(row, 112)));
    }
    tail += c - lock;
    if (u >= blocks || (u & 3) == 3) next = tail;
    const o = out + (<usize>u << 7);
    v128.store(o, clampV(a0, act));
    v128.store(o, clampV(a1, act), 16);
    v128.store(o, clampV(a2, act), 32);
    v128.store(o, clampV(a3, act), 48);
    v128.store(o, clampV(a4, act), 64);
    v128.store(o, clampV(a5, act), 80);
    v128.store(o, clampV(a6, act), 96);
    v128.store(o, clampV(a7, act), 112);
  }
}

function panelSimd16<I>(panel: usize, out: usize, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, act: u32): void {
  let next: usize = 0, lockBase: usize = 0, tail: usize = 0, lock: u32 = 0;
  const blocks = n & ~3;
  for (let u: u32 = 0; u < n; u++) {
    const c = load<u32>(countsPtr + (<usize>u << 2));
    if (u < blocks) {
      if ((u & 3) == 0) {
        const cp = countsPtr + (<usize>u << 2);
        lock = min(min(c, load<u32>(cp, 4)), min(load<u32>(cp, 8), load<u32>(cp, 12)));
        lockBase = next;
        tail = next + (<usize>lock << 2);
      }
    } else {
      lock = 0;
      tail = next;
    }
    const lb = lockBase + (u & 3);
    const tb = tail - lock;
    const b = f32x4.splat(hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0);
    let a0 = b, a1 = b, a2 = b, a3 = b;
    // The interleaved steps (stride 4), then the tail: two loops, no per-pair select.
    let ip = idxPtr + lb * sizeof<I>(), vp = valPtr + (lb << 2);
    const ve = vp + (<usize>lock << 4);
    for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 6);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v, v128.load(row, 48)));
    }
    ip = idxPtr + (tb + lock) * sizeof<I>();
    vp = valPtr + ((tb + lock) << 2);
    const te = vp + (<usize>(c - lock) << 2);
    for (; vp < te; vp += 4, ip += sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 6);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v, v128.load(row, 48)));
    }
    tail += c - lock;
    if (u >= blocks || (u & 3) == 3) next = tail;
    const o = out + (<usize>u << 6);
    v128.store(o, clampV(a0, act));
    v128.store(o, clampV(a1, act), 16);
    v128.store(o, clampV(a2, act), 32);
    v128.store(o, clampV(a3, act), 48);
  }
}

// panelSimd16 for a panel of 8 lanes: one pass, two accumulators.
function panelSimd8<I>(panel: usize, out: usize, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, act: u32): void {
  let next: usize = 0, lockBase: usize = 0, tail: usize = 0, lock: u32 = 0;
  const blocks = n & ~3;
  for (let u: u32 = 0; u < n; u++) {
    const c = load<u32>(countsPtr + (<usize>u << 2));
    if (u < blocks) {
      if ((u & 3) == 0) {
        const cp = countsPtr + (<usize>u << 2);
        lock = min(min(c, load<u32>(cp, 4)), min(load<u32>(cp, 8), load<u32>(cp, 12)));
        lockBase = next;
        tail = next + (<usize>lock << 2);
      }
    } else {
      lock = 0;
      tail = next;
    }
    const lb = lockBase + (u & 3);
    const tb = tail - lock;
    const b = f32x4.splat(hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0);
    let a0 = b, a1 = b;
    // The interleaved steps (stride 4), then the tail: two loops, no per-pair select.
    let ip = idxPtr + lb * sizeof<I>(), vp = valPtr + (lb << 2);
    const ve = vp + (<usize>lock << 4);
    for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 5);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
    }
    ip = idxPtr + (tb + lock) * sizeof<I>();
    vp = valPtr + ((tb + lock) << 2);
    const te = vp + (<usize>(c - lock) << 2);
    for (; vp < te; vp += 4, ip += sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 5);
      const v = v128.load32_splat(vp);
      a0 = f32x4.add(a0, f32x4.mul(v, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(v, v128.load(row, 16)));
    }
    tail += c - lock;
    if (u >= blocks || (u & 3) == 3) next = tail;
    const o = out + (<usize>u << 5);
    v128.store(o, clampV(a0, act));
    v128.store(o, clampV(a1, act), 16);
  }
}

function panelSimd4<I>(panel: usize, out: usize, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, act: u32): void {
  let next: usize = 0, lockBase: usize = 0, tail: usize = 0, lock: u32 = 0;
  const blocks = n & ~3;
  for (let u: u32 = 0; u < n; u++) {
    const c = load<u32>(countsPtr + (<usize>u << 2));
    if (u < blocks) {
      if ((u & 3) == 0) {
        const cp = countsPtr + (<usize>u << 2);
        lock = min(min(c, load<u32>(cp, 4)), min(load<u32>(cp, 8), load<u32>(cp, 12)));
        lockBase = next;
        tail = next + (<usize>lock << 2);
      }
    } else {
      lock = 0;
      tail = next;
    }
    const lb = lockBase + (u & 3);
    const tb = tail - lock;
    let a = f32x4.splat(hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0);
    // The interleaved steps (stride 4), then the tail: two loops, no per-pair select.
    let ip = idxPtr + lb * sizeof<I>(), vp = valPtr + (lb << 2);
    const ve = vp + (<usize>lock << 4);
    for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 4);
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(vp), v128.load(row)));
    }
    ip = idxPtr + (tb + lock) * sizeof<I>();
    vp = valPtr + ((tb + lock) << 2);
    const te = vp + (<usize>(c - lock) << 2);
    for (; vp < te; vp += 4, ip += sizeof<I>()) {
      const row = panel + (<usize>load<I>(ip) << 4);
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(vp), v128.load(row)));
    }
    tail += c - lock;
    if (u >= blocks || (u & 3) == 3) next = tail;
    v128.store(out + (<usize>u << 4), clampV(a, act));
  }
}

function panelScalar4<I>(panel: usize, out: usize, w: u32, g: u32, n: u32, countsPtr: usize, idxPtr: usize,
  valPtr: usize, biasPtr: usize, hasBias: u32, act: u32): void {
  const shift: usize = ctz(w) + 2; // w · 4 bytes per input row or unit, w a power of two
  const lane = panel + (<usize>g << 2);
  const o = out + (<usize>g << 2);
  let next: usize = 0, lockBase: usize = 0, tail: usize = 0, lock: u32 = 0;
  const blocks = n & ~3;
  for (let u: u32 = 0; u < n; u++) {
    const c = load<u32>(countsPtr + (<usize>u << 2));
    if (u < blocks) {
      if ((u & 3) == 0) {
        const cp = countsPtr + (<usize>u << 2);
        lock = min(min(c, load<u32>(cp, 4)), min(load<u32>(cp, 8), load<u32>(cp, 12)));
        lockBase = next;
        tail = next + (<usize>lock << 2);
      }
    } else {
      lock = 0;
      tail = next;
    }
    const lb = lockBase + (u & 3);
    const tb = tail - lock;
    const b: f32 = hasBias != 0 ? load<f32>(biasPtr + (<usize>u << 2)) : 0;
    let a0 = b, a1 = b, a2 = b, a3 = b;
    // The interleaved steps (stride 4), then the tail: two loops, no per-pair select.
    let ip = idxPtr + lb * sizeof<I>(), vp = valPtr + (lb << 2);
    const ve = vp + (<usize>lock << 4);
    for (; vp < ve; vp += 16, ip += 4 * sizeof<I>()) {
      const row = lane + (<usize>load<I>(ip) << shift);
      const v = load<f32>(vp);
      a0 += v * load<f32>(row);
      a1 += v * load<f32>(row, 4);
      a2 += v * load<f32>(row, 8);
      a3 += v * load<f32>(row, 12);
    }
    ip = idxPtr + (tb + lock) * sizeof<I>();
    vp = valPtr + ((tb + lock) << 2);
    const te = vp + (<usize>(c - lock) << 2);
    for (; vp < te; vp += 4, ip += sizeof<I>()) {
      const row = lane + (<usize>load<I>(ip) << shift);
      const v = load<f32>(vp);
      a0 += v * load<f32>(row);
      a1 += v * load<f32>(row, 4);
      a2 += v * load<f32>(row, 8);
      a3 += v * load<f32>(row, 12);
    }
    tail += c - lock;
    if (u >= blocks || (u & 3) == 3) next = tail;
    const y = o + (<usize>u << shift);
    store<f32>(y, clamp(a0, act));
    store<f32>(y, clamp(a1, act), 4);
    store<f32>(y, clamp(a2, act), 8);
    store<f32>(y, clamp(a3, act), 12);
  }
}
