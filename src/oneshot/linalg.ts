// Dense float64 linear algebra on small symmetric positive-definite systems: the Cholesky
// factorization and what the one-shot solver builds on it. Matrices are row-major Float64Array,
// n x n. Plain loops: the plain-JavaScript path of the solver (the Wasm path's blocked versions
// are src/wasm/oneshot.ts and assembly/oneshot.ts; docs/oneshot.md, "Speed").

/**
 * Cholesky factorization in place: on return the lower triangle of `a` holds L with a = L·Lᵀ (the
 * strict upper triangle is zeroed). Returns false, leaving `a` partly overwritten, when `a` is not
 * positive definite (a pivot <= 0 or not finite).
 */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
    for (let i = j + 1; i < n; i++) a[rj + i] = 0;
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place (b becomes x), L from cholesky(). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** L⁻¹ (lower triangular) of a Cholesky factor, as a new matrix (row by row, rows contiguous). */
export function lowerInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i of L·X = I: X[i][j] = (δij − Σ_{k<i} L[i][k]·X[k][j]) / L[i][i].
    for (let k = 0; k < i; k++) {
      const a = l[ri + k];
      if (a === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) inv[ri + j] -= a * inv[rk + j];
    }
    const d = 1 / l[ri + i];
    for (let j = 0; j < i; j++) inv[ri + j] *= d;
    inv[ri + i] = d;
  }
  return inv;
}

/** The diagonal of (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹: column sums of squares of L⁻¹. */
export function inverseDiagonal(l: Float64Array, n: number): Float64Array {
  const li = lowerInverse(l, n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) d[j] += li[ri + j] * li[ri + j];
  }
  return d;
}

/** (L·Lᵀ)⁻¹ as a full symmetric matrix. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const li = lowerInverse(l, n);
  const out = new Float64Array(n * n);
  // (L⁻ᵀL⁻¹)_{ij} = Σ_{k >= max(i,j)} li[k,i]·li[k,j]
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const v = li[rk + i];
      if (v === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) out[ri + j] += v * li[rk + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j];
  return out;
}

/**
 * Cholesky of h + λ·I (a copy; h untouched), raising λ tenfold (up to 6 times) while the matrix is
 * not numerically positive definite. Returns the factor and the damping used.
 */
export function dampedCholesky(h: Float64Array, n: number, lambda: number): { l: Float64Array; lambda: number } {
  let lam = lambda > 0 ? lambda : 1e-8;
  for (let attempt = 0; attempt < 7; attempt++, lam *= 10) {
    const a = h.slice();
    for (let i = 0; i < n; i++) a[i * n + i] += lam;
    if (cholesky(a, n)) return { l: a, lambda: lam };
  }
  throw new Error(`tfjs-prune internal error: a ${n}x${n} Gram matrix stayed indefinite with damping ${lam}`);
}
