// One-shot pruning kernels (src/oneshot/, docs/oneshot.md): the products that dominate its cost —
// the calibration statistics XᵀX and XᵀY, the dense targets X·W, and the float64 products of the
// solver (blocked Cholesky's trailing updates, the triangular inverse, (H + λI)⁻¹·R, SparseGPT's
// lazy batch updates) — as two register-tiled GEMM kernels, plus the small pieces around them
// (an unblocked Cholesky of a diagonal block, triangular solves, row updates, quadratic forms).
//
// A module of its own (asconfig.json `oneshot-*` targets), built like sparse.ts with
// `--importMemory --noExportMemory`: no data segments, no allocation; src/wasm/oneshot.ts owns the
// memory, lays the operands out and hands the kernels byte offsets.
//
// Summation order is the contract, so that the SIMD and the scalar build agree bit for bit:
// every element of a product is one sum over k ascending with one rounding per multiply and per
// add, in chunks of KC32 (float32 kernel) or KC64 (float64 kernel) terms, each chunk's sum then
// added (float64) to the element in memory. The SIMD build vectorizes across output columns,
// never within one sum. Operands are addressed by strides (element (k, i) of A at
// a + (k·ak + i·ai)·size), so transposes cost nothing; they are packed into panels first.

export function isSimd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** Terms of one float32 sum before it is added into the float64 result. */
const KC32: i32 = 128;
/** Output columns per packed B chunk of the float32 kernel (KC32 x NC32 floats: 128 KiB). */
const NC32: i32 = 256;
const KC64: i32 = 256;
const NC64: i32 = 128;

/** Bytes of work space gemmF32 needs for an M x N product. */
export function gemmF32Work(M: i32, N: i32): i32 {
  return (((M + 3) & ~3) * KC32 + ((min(N, NC32) + 7) & ~7) * KC32) * 4;
}

/** Bytes of work space gemmF64 needs for an M x N product. */
export function gemmF64Work(M: i32, N: i32): i32 {
  return (((M + 3) & ~3) * KC64 + ((min(N, NC64) + 3) & ~3) * KC64) * 8;
}

/**
 * C[i·ldc + j] (float64) += Σ_k A(k, i)·B(k, j) for i < M, j < N, k < K; A, B float32 with
 * A(k, i) at aPtr + 4·(k·ak + i·ai) and B(k, j) at bPtr + 4·(k·bk + j·bj). Each chunk of KC32
 * terms is summed in float32 (k ascending), then added to C in float64 (blocked summation: the
 * float32 rounding error grows with KC32, not with K). `lower` != 0: only the 4 x 8 tiles that
 * reach the diagonal or below it (j <= i somewhere in the tile) are computed — the lower triangle of
 * a symmetric product, with some entries above the diagonal besides. workPtr: gemmF32Work bytes.
 */
export function gemmF32(aPtr: usize, ak: i32, ai: i32, bPtr: usize, bk: i32, bj: i32, K: i32, M: i32, N: i32,
  cPtr: usize, ldc: i32, lower: i32, workPtr: usize): void {
  const tilesM = (M + 3) >> 2;
  for (let k0 = 0; k0 < K; k0 += KC32) {
    const kb = min(KC32, K - k0);
    const ap = workPtr;
    const bp = workPtr + ((<usize>tilesM * 4 * kb) << 2);
    // A panels: tile t holds rows 4t … 4t+3 as [kb][4].
    for (let t = 0; t < tilesM; t++) {
      for (let k = 0; k < kb; k++) {
        const dst = ap + ((<usize>(t * kb + k) * 4) << 2);
        for (let r = 0; r < 4; r++) {
          const i = t * 4 + r;
          store<f32>(dst + (<usize>r << 2), i < M ? load<f32>(aPtr + ((<usize>((k0 + k) * ak + i * ai)) << 2)) : 0);
        }
      }
    }
    for (let n0 = 0; n0 < N; n0 += NC32) {
      const nb = min(NC32, N - n0);
      const tilesN = (nb + 7) >> 3;
      for (let u = 0; u < tilesN; u++) {
        for (let k = 0; k < kb; k++) {
          const dst = bp + ((<usize>(u * kb + k) * 8) << 2);
          for (let c = 0; c < 8; c++) {
            const j = n0 + u * 8 + c;
            store<f32>(dst + (<usize>c << 2), j < N ? load<f32>(bPtr + ((<usize>((k0 + k) * bk + j * bj)) << 2)) : 0);
          }
        }
      }
      for (let t = 0; t < tilesM; t++) {
        for (let u = 0; u < tilesN; u++) {
          const j0 = n0 + u * 8;
          if (lower != 0 && j0 > t * 4 + 3) break;
          tileF32(ap + ((<usize>t * kb * 4) << 2), bp + ((<usize>u * kb * 8) << 2), kb, t * 4, j0, M, N, cPtr, ldc);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addF32(cPtr: usize, ldc: i32, i: i32, j: i32, M: i32, N: i32, v: f32): void {
  if (i < M && j < N) {
    const p = cPtr + ((<usize>(i * ldc + j)) << 3);
    store<f64>(p, load<f64>(p) + <f64>v);
  }
}

/** One 4 x 8 tile of gemmF32 over packed panels a ([kb][4]) and b ([kb][8]). */
function tileF32(a: usize, b: usize, kb: i32, i0: i32, j0: i32, M: i32, N: i32, cPtr: usize, ldc: i32): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    for (let k = 0; k < kb; k++) {
      const pa = a + (<usize>k << 4);
      const b0 = v128.load(b + (<usize>k << 5));
      const b1 = v128.load(b + (<usize>k << 5), 16);
      const s0 = v128.load32_splat(pa);
      const s1 = v128.load32_splat(pa, 4);
      const s2 = v128.load32_splat(pa, 8);
      const s3 = v128.load32_splat(pa, 12);
      c00 = f32x4.add(c00, f32x4.mul(s0, b0));
      c01 = f32x4.add(c01, f32x4.mul(s0, b1));
      c10 = f32x4.add(c10, f32x4.mul(s1, b0));
      c11 = f32x4.add(c11, f32x4.mul(s1, b1));
      c20 = f32x4.add(c20, f32x4.mul(s2, b0));
      c21 = f32x4.add(c21, f32x4.mul(s2, b1));
      c30 = f32x4.add(c30, f32x4.mul(s3, b0));
      c31 = f32x4.add(c31, f32x4.mul(s3, b1));
    }
    storeRowF32(cPtr, ldc, i0, j0, M, N, c00, c01);
    storeRowF32(cPtr, ldc, i0 + 1, j0, M, N, c10, c11);
    storeRowF32(cPtr, ldc, i0 + 2, j0, M, N, c20, c21);
    storeRowF32(cPtr, ldc, i0 + 3, j0, M, N, c30, c31);
  } else {
    // One row of the tile at a time, its eight sums as independent chains (the same per-element
    // order as the SIMD lanes: k ascending, one rounding per multiply and per add).
    for (let r = 0; r < 4; r++) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
      for (let k = 0; k < kb; k++) {
        const av = load<f32>(a + ((<usize>(k * 4 + r)) << 2));
        const pb = b + (<usize>k << 5);
        s0 += av * load<f32>(pb);
        s1 += av * load<f32>(pb, 4);
        s2 += av * load<f32>(pb, 8);
        s3 += av * load<f32>(pb, 12);
        s4 += av * load<f32>(pb, 16);
        s5 += av * load<f32>(pb, 20);
        s6 += av * load<f32>(pb, 24);
        s7 += av * load<f32>(pb, 28);
      }
      const i = i0 + r;
      addF32(cPtr, ldc, i, j0, M, N, s0);
      addF32(cPtr, ldc, i, j0 + 1, M, N, s1);
      addF32(cPtr, ldc, i, j0 + 2, M, N, s2);
      addF32(cPtr, ldc, i, j0 + 3, M, N, s3);
      addF32(cPtr, ldc, i, j0 + 4, M, N, s4);
      addF32(cPtr, ldc, i, j0 + 5, M, N, s5);
      addF32(cPtr, ldc, i, j0 + 6, M, N, s6);
      addF32(cPtr, ldc, i, j0 + 7, M, N, s7);
    }
  }
}

// @ts-ignore: decorator
@inline function storeRowF32(cPtr: usize, ldc: i32, i: i32, j0: i32, M: i32, N: i32, lo: v128, hi: v128): void {
  addF32(cPtr, ldc, i, j0, M, N, f32x4.extract_lane(lo, 0));
  addF32(cPtr, ldc, i, j0 + 1, M, N, f32x4.extract_lane(lo, 1));
  addF32(cPtr, ldc, i, j0 + 2, M, N, f32x4.extract_lane(lo, 2));
  addF32(cPtr, ldc, i, j0 + 3, M, N, f32x4.extract_lane(lo, 3));
  addF32(cPtr, ldc, i, j0 + 4, M, N, f32x4.extract_lane(hi, 0));
  addF32(cPtr, ldc, i, j0 + 5, M, N, f32x4.extract_lane(hi, 1));
  addF32(cPtr, ldc, i, j0 + 6, M, N, f32x4.extract_lane(hi, 2));
  addF32(cPtr, ldc, i, j0 + 7, M, N, f32x4.extract_lane(hi, 3));
}

/**
 * C[i·ldc + j] += alpha · Σ_k A(k, i)·B(k, j), all float64 (alpha ±1 in practice); operands by
 * strides as gemmF32 (in elements). Each chunk of KC64 terms is one sum (k ascending), then
 * multiplied by alpha and added to C. `lower` as gemmF32 with 4 x 4 tiles. workPtr: gemmF64Work.
 */
export function gemmF64(aPtr: usize, ak: i32, ai: i32, bPtr: usize, bk: i32, bj: i32, K: i32, M: i32, N: i32,
  cPtr: usize, ldc: i32, alpha: f64, lower: i32, workPtr: usize): void {
  const tilesM = (M + 3) >> 2;
  for (let k0 = 0; k0 < K; k0 += KC64) {
    const kb = min(KC64, K - k0);
    const ap = workPtr;
    const bp = workPtr + ((<usize>tilesM * 4 * kb) << 3);
    for (let t = 0; t < tilesM; t++) {
      for (let k = 0; k < kb; k++) {
        const dst = ap + ((<usize>(t * kb + k) * 4) << 3);
        for (let r = 0; r < 4; r++) {
          const i = t * 4 + r;
          store<f64>(dst + (<usize>r << 3), i < M ? load<f64>(aPtr + ((<usize>((k0 + k) * ak + i * ai)) << 3)) : 0);
        }
      }
    }
    for (let n0 = 0; n0 < N; n0 += NC64) {
      const nb = min(NC64, N - n0);
      const tilesN = (nb + 3) >> 2;
      for (let u = 0; u < tilesN; u++) {
        for (let k = 0; k < kb; k++) {
          const dst = bp + ((<usize>(u * kb + k) * 4) << 3);
          for (let c = 0; c < 4; c++) {
            const j = n0 + u * 4 + c;
            store<f64>(dst + (<usize>c << 3), j < N ? load<f64>(bPtr + ((<usize>((k0 + k) * bk + j * bj)) << 3)) : 0);
          }
        }
      }
      for (let t = 0; t < tilesM; t++) {
        for (let u = 0; u < tilesN; u++) {
          const j0 = n0 + u * 4;
          if (lower != 0 && j0 > t * 4 + 3) break;
          tileF64(ap + ((<usize>t * kb * 4) << 3), bp + ((<usize>u * kb * 4) << 3), kb, t * 4, j0, M, N, cPtr, ldc, alpha);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addF64(cPtr: usize, ldc: i32, i: i32, j: i32, M: i32, N: i32, v: f64, alpha: f64): void {
  if (i < M && j < N) {
    const p = cPtr + ((<usize>(i * ldc + j)) << 3);
    store<f64>(p, load<f64>(p) + alpha * v);
  }
}

// @ts-ignore: decorator
@inline function storeRowF64(cPtr: usize, ldc: i32, i: i32, j0: i32, M: i32, N: i32, lo: v128, hi: v128, alpha: f64): void {
  addF64(cPtr, ldc, i, j0, M, N, f64x2.extract_lane(lo, 0), alpha);
  addF64(cPtr, ldc, i, j0 + 1, M, N, f64x2.extract_lane(lo, 1), alpha);
  addF64(cPtr, ldc, i, j0 + 2, M, N, f64x2.extract_lane(hi, 0), alpha);
  addF64(cPtr, ldc, i, j0 + 3, M, N, f64x2.extract_lane(hi, 1), alpha);
}

/** One 4 x 4 tile of gemmF64 over packed panels a ([kb][4]) and b ([kb][4]). */
function tileF64(a: usize, b: usize, kb: i32, i0: i32, j0: i32, M: i32, N: i32, cPtr: usize, ldc: i32, alpha: f64): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
    let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
    for (let k = 0; k < kb; k++) {
      const pa = a + (<usize>k << 5);
      const pb = b + (<usize>k << 5);
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      const s0 = v128.load64_splat(pa);
      const s1 = v128.load64_splat(pa, 8);
      const s2 = v128.load64_splat(pa, 16);
      const s3 = v128.load64_splat(pa, 24);
      c00 = f64x2.add(c00, f64x2.mul(s0, b0));
      c01 = f64x2.add(c01, f64x2.mul(s0, b1));
      c10 = f64x2.add(c10, f64x2.mul(s1, b0));
      c11 = f64x2.add(c11, f64x2.mul(s1, b1));
      c20 = f64x2.add(c20, f64x2.mul(s2, b0));
      c21 = f64x2.add(c21, f64x2.mul(s2, b1));
      c30 = f64x2.add(c30, f64x2.mul(s3, b0));
      c31 = f64x2.add(c31, f64x2.mul(s3, b1));
    }
    storeRowF64(cPtr, ldc, i0, j0, M, N, c00, c01, alpha);
    storeRowF64(cPtr, ldc, i0 + 1, j0, M, N, c10, c11, alpha);
    storeRowF64(cPtr, ldc, i0 + 2, j0, M, N, c20, c21, alpha);
    storeRowF64(cPtr, ldc, i0 + 3, j0, M, N, c30, c31, alpha);
  } else {
    for (let r = 0; r < 4; r++) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      for (let k = 0; k < kb; k++) {
        const av = load<f64>(a + ((<usize>(k * 4 + r)) << 3));
        const pb = b + (<usize>k << 5);
        s0 += av * load<f64>(pb);
        s1 += av * load<f64>(pb, 8);
        s2 += av * load<f64>(pb, 16);
        s3 += av * load<f64>(pb, 24);
      }
      const i = i0 + r;
      addF64(cPtr, ldc, i, j0, M, N, s0, alpha);
      addF64(cPtr, ldc, i, j0 + 1, M, N, s1, alpha);
      addF64(cPtr, ldc, i, j0 + 2, M, N, s2, alpha);
      addF64(cPtr, ldc, i, j0 + 3, M, N, s3, alpha);
    }
  }
}

/**
 * Cholesky of the n x n block at aPtr (row stride lda) in place, lower triangle (the strict upper
 * triangle is not touched): the unblocked, row-oriented form (each L[i][j] one dot product over
 * k ascending). Returns 0 when a pivot is not positive and finite, else 1.
 */
export function cholBlock(aPtr: usize, n: i32, lda: i32): i32 {
  for (let j = 0; j < n; j++) {
    const rj = aPtr + ((<usize>j * lda) << 3);
    let d = load<f64>(rj + (<usize>j << 3));
    for (let k = 0; k < j; k++) {
      const v = load<f64>(rj + (<usize>k << 3));
      d -= v * v;
    }
    if (!(d > 0) || !isFinite(d)) return 0;
    const ljj = Math.sqrt(d);
    store<f64>(rj + (<usize>j << 3), ljj);
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = aPtr + ((<usize>i * lda) << 3);
      let s = load<f64>(ri + (<usize>j << 3));
      for (let k = 0; k < j; k++) s -= load<f64>(ri + (<usize>k << 3)) * load<f64>(rj + (<usize>k << 3));
      store<f64>(ri + (<usize>j << 3), s * inv);
    }
  }
  return 1;
}

/**
 * B ← B·L⁻ᵀ in place for the rows x n block B (row stride ldb) and the n x n lower triangle L (row
 * stride lda): the panel below a factored diagonal block in the blocked Cholesky.
 */
export function trsmLowerT(lPtr: usize, lda: i32, bPtr: usize, ldb: i32, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const br = bPtr + ((<usize>r * ldb) << 3);
    for (let j = 0; j < n; j++) {
      const lj = lPtr + ((<usize>j * lda) << 3);
      let s = load<f64>(br + (<usize>j << 3));
      for (let k = 0; k < j; k++) s -= load<f64>(br + (<usize>k << 3)) * load<f64>(lj + (<usize>k << 3));
      store<f64>(br + (<usize>j << 3), s / load<f64>(lj + (<usize>j << 3)));
    }
  }
}

/**
 * X ← L⁻¹ of the n x n lower triangle L at lPtr (row stride lda) into xPtr (row stride ldx; its
 * strict upper triangle set to 0): rows in order, X[i][j] = (δij − Σ_{j<=k<i} L[i][k]·X[k][j]) / L[i][i].
 */
export function lowerInverseBlock(lPtr: usize, lda: i32, xPtr: usize, ldx: i32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const li = lPtr + ((<usize>i * lda) << 3);
    const xi = xPtr + ((<usize>i * ldx) << 3);
    const d = 1 / load<f64>(li + (<usize>i << 3));
    for (let j = 0; j < i; j++) {
      let s: f64 = 0;
      for (let k = j; k < i; k++) s -= load<f64>(li + (<usize>k << 3)) * load<f64>(xPtr + ((<usize>(k * ldx + j)) << 3));
      store<f64>(xi + (<usize>j << 3), s * d);
    }
    store<f64>(xi + (<usize>i << 3), d);
    for (let j = i + 1; j < n; j++) store<f64>(xi + (<usize>j << 3), 0);
  }
}

/**
 * w[r·m + j] −= u[r·us]·e[j] for r < rows, j < m (float64): SparseGPT's update of the rows after
 * a pruned input within its block. Vectorized across j.
 */
export function rowUpdate(wPtr: usize, m: i32, rows: i32, uPtr: usize, us: i32, ePtr: usize): void {
  for (let r = 0; r < rows; r++) {
    const ur = load<f64>(uPtr + ((<usize>r * us) << 3));
    if (ur == 0) continue;
    const wr = wPtr + ((<usize>r * m) << 3);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const uv = f64x2.splat(ur);
      for (; j + 2 <= m; j += 2) {
        const p = wr + (<usize>j << 3);
        v128.store(p, f64x2.sub(v128.load(p), f64x2.mul(uv, v128.load(ePtr + (<usize>j << 3)))));
      }
    }
    for (; j < m; j++) {
      const p = wr + (<usize>j << 3);
      store<f64>(p, load<f64>(p) - ur * load<f64>(ePtr + (<usize>j << 3)));
    }
  }
}

/**
 * out[j] = ŵ_jᵀ·H·ŵ_j − 2·ŵ_jᵀ·R_j for every output j of the d x m weights w (float64, row-major),
 * visiting only nonzero weights: H d x d (symmetric, full), R d x m. Per output: the nonzero rows
 * gathered in ascending order into idx/val (work: d i32 + d f64), then
 * Σ_p val_p·(2·Σ_{q<p} H[idx_p][idx_q]·val_q + H[idx_p][idx_p]·val_p − 2·R[idx_p][j]), p ascending,
 * each inner sum as four partial sums over q mod 4 added as (s0 + s1) + (s2 + s3).
 */
export function quadForms(hPtr: usize, d: i32, wPtr: usize, m: i32, rPtr: usize, outPtr: usize, idxPtr: usize, valPtr: usize): void {
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const v = load<f64>(wPtr + ((<usize>(i * m + j)) << 3));
      if (v != 0) {
        store<i32>(idxPtr + (<usize>s << 2), i);
        store<f64>(valPtr + (<usize>s << 3), v);
        s++;
      }
    }
    let e: f64 = 0;
    for (let p = 0; p < s; p++) {
      const ip = load<i32>(idxPtr + (<usize>p << 2));
      const hp = hPtr + ((<usize>ip * d) << 3);
      const vp = load<f64>(valPtr + (<usize>p << 3));
      // Four partial sums (q mod 4), added pairwise at the end: independent add chains.
      let q0: f64 = 0, q1: f64 = 0, q2: f64 = 0, q3: f64 = 0;
      let q = 0;
      for (; q + 4 <= p; q += 4) {
        const iq = idxPtr + (<usize>q << 2);
        const vq = valPtr + (<usize>q << 3);
        q0 += load<f64>(hp + (<usize>load<i32>(iq) << 3)) * load<f64>(vq);
        q1 += load<f64>(hp + (<usize>load<i32>(iq, 4) << 3)) * load<f64>(vq, 8);
        q2 += load<f64>(hp + (<usize>load<i32>(iq, 8) << 3)) * load<f64>(vq, 16);
        q3 += load<f64>(hp + (<usize>load<i32>(iq, 12) << 3)) * load<f64>(vq, 24);
      }
      for (; q < p; q++) q0 += load<f64>(hp + (<usize>load<i32>(idxPtr + (<usize>q << 2)) << 3)) * load<f64>(valPtr + (<usize>q << 3));
      const cross = (q0 + q1) + (q2 + q3);
      e += vp * (2 * cross + load<f64>(hp + (<usize>ip << 3)) * vp - 2 * load<f64>(rPtr + ((<usize>(ip * m + j)) << 3)));
    }
    store<f64>(outPtr + (<usize>j << 3), e);
  }
}

/**
 * One output's exact refit (src/oneshot/solver.ts, refit): A = H_SS + λI over the s rows S listed
 * ascending at idxPtr (i32), b = R[S][j]. A is factored L·Lᵀ (cholBlock), retrying with
 * 1e-8·10^t more on the diagonal (t < 7) as the JavaScript path's dampedCholesky(a, s, 0) does;
 * then b ← A⁻¹b by forward and back substitution into outPtr (s values), and with diagPtr != 0
 * diag(A⁻¹) = column sums of squares of L⁻¹ there. Returns 0 if A never factored, else 1.
 * workPtr: 2·s² float64.
 */
export function refitOutput(hPtr: usize, d: i32, rPtr: usize, m: i32, j: i32, idxPtr: usize, s: i32, lambda: f64,
  outPtr: usize, diagPtr: usize, workPtr: usize): i32 {
  const a = workPtr;
  let lam: f64 = 1e-8;
  let ok = 0;
  for (let t = 0; t < 7 && ok == 0; t++, lam *= 10) {
    for (let p = 0; p < s; p++) {
      const hp = hPtr + ((<usize>load<i32>(idxPtr + (<usize>p << 2)) * d) << 3);
      const ap = a + ((<usize>p * s) << 3);
      for (let q = 0; q < p; q++) store<f64>(ap + (<usize>q << 3), load<f64>(hp + (<usize>load<i32>(idxPtr + (<usize>q << 2)) << 3)));
      store<f64>(ap + (<usize>p << 3), (load<f64>(hp + (<usize>load<i32>(idxPtr + (<usize>p << 2)) << 3)) + lambda) + lam);
    }
    ok = cholBlock(a, s, s);
  }
  if (ok == 0) return 0;
  for (let i = 0; i < s; i++) {
    const ai = a + ((<usize>i * s) << 3);
    let v = load<f64>(rPtr + ((<usize>(load<i32>(idxPtr + (<usize>i << 2)) * m + j)) << 3));
    for (let k = 0; k < i; k++) v -= load<f64>(ai + (<usize>k << 3)) * load<f64>(outPtr + (<usize>k << 3));
    store<f64>(outPtr + (<usize>i << 3), v / load<f64>(ai + (<usize>i << 3)));
  }
  for (let i = s - 1; i >= 0; i--) {
    let v = load<f64>(outPtr + (<usize>i << 3));
    for (let k = i + 1; k < s; k++) v -= load<f64>(a + ((<usize>(k * s + i)) << 3)) * load<f64>(outPtr + (<usize>k << 3));
    store<f64>(outPtr + (<usize>i << 3), v / load<f64>(a + ((<usize>(i * s + i)) << 3)));
  }
  if (diagPtr != 0) {
    const x = a + ((<usize>s * s) << 3);
    lowerInverseBlock(a, s, x, s, s);
    for (let p = 0; p < s; p++) store<f64>(diagPtr + (<usize>p << 3), 0);
    for (let i = 0; i < s; i++) {
      const xi = x + ((<usize>i * s) << 3);
      let p = 0;
      if (ASC_FEATURE_SIMD) {
        for (; p + 2 <= i + 1; p += 2) {
          const v = v128.load(xi + (<usize>p << 3));
          const dp = diagPtr + (<usize>p << 3);
          v128.store(dp, f64x2.add(v128.load(dp), f64x2.mul(v, v)));
        }
      }
      for (; p <= i; p++) {
        const v = load<f64>(xi + (<usize>p << 3));
        store<f64>(diagPtr + (<usize>p << 3), load<f64>(diagPtr + (<usize>p << 3)) + v * v);
      }
    }
  }
  return 1;
}
