// One-shot pruning's kernels (assembly/oneshot.ts) and the blocked algorithms built on them: the
// calibration statistics (Gram and cross products, float32 sums of 128 rows added in float64),
// the dense targets X·W, and the solver's float64 linear algebra (blocked Cholesky, triangular
// inverse, products with the inverse factor, SparseGPT's lazy batch update, the error's quadratic
// forms). Typed arrays in, typed arrays out: the pointers stay here (only src/wasm/ touches Wasm
// memory). Each operation runs on a memory of its own, sized up front and dropped afterwards, so
// no view is ever detached by growth and nothing stays allocated between layers.
//
// Both builds are embedded as base64 in chunks of their own, imported (`import()`) only by
// loadOneShotKernels, which pruneOneShot awaits on its first call. Where there is no WebAssembly
// (or `'js'` is chosen), src/oneshot/ runs its plain float64 JavaScript instead.
import { ArgumentError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { simdSupported, wasmSupported } from './detect.js';

/** The exports of assembly/oneshot.ts (pointers are byte offsets into the imported memory). */
interface OneShotExports {
  isSimd(): number;
  gemmF32Work(M: number, N: number): number;
  gemmF64Work(M: number, N: number): number;
  gemmF32(aPtr: number, ak: number, ai: number, bPtr: number, bk: number, bj: number, K: number, M: number, N: number, cPtr: number, ldc: number, lower: number, workPtr: number): void;
  gemmF64(aPtr: number, ak: number, ai: number, bPtr: number, bk: number, bj: number, K: number, M: number, N: number, cPtr: number, ldc: number, alpha: number, lower: number, workPtr: number): void;
  cholBlock(aPtr: number, n: number, lda: number): number;
  trsmLowerT(lPtr: number, lda: number, bPtr: number, ldb: number, rows: number, n: number): void;
  lowerInverseBlock(lPtr: number, lda: number, xPtr: number, ldx: number, n: number): void;
  rowUpdate(wPtr: number, m: number, rows: number, uPtr: number, us: number, ePtr: number): void;
  quadForms(hPtr: number, d: number, wPtr: number, m: number, rPtr: number, outPtr: number, idxPtr: number, valPtr: number): void;
  refitOutput(hPtr: number, d: number, rPtr: number, m: number, j: number, idxPtr: number, s: number, lambda: number, outPtr: number, diagPtr: number, workPtr: number): number;
}

/** Which implementation of one-shot pruning's products runs: a Wasm build, or plain JavaScript. */
export type OneShotBuild = 'simd' | 'scalar' | 'js';

const compiled = new Map<'simd' | 'scalar', Promise<WebAssembly.Module>>();
let chosen: { build: OneShotBuild; module: WebAssembly.Module | null } | null = null;

function compile(build: 'simd' | 'scalar'): Promise<WebAssembly.Module> {
  let p = compiled.get(build);
  if (p === undefined) {
    p = (build === 'simd' ? import('./oneshot-simd.generated.js').then((m) => m.oneshotSimdBase64) : import('./oneshot-scalar.generated.js').then((m) => m.oneshotScalarBase64)).then((b64) =>
      WebAssembly.compile(decodeBase64(b64) as Uint8Array<ArrayBuffer>),
    );
    p.catch(() => compiled.delete(build));
    compiled.set(build, p);
  }
  return p;
}

const EXPORTS: readonly (keyof OneShotExports)[] = ['isSimd', 'gemmF32Work', 'gemmF64Work', 'gemmF32', 'gemmF64', 'cholBlock', 'trsmLowerT', 'lowerInverseBlock', 'rowUpdate', 'quadForms', 'refitOutput'];

/**
 * Chooses (and compiles) the kernels pruneOneShot uses: `'simd'`, `'scalar'` or `'js'` (plain
 * float64 JavaScript, what runs where there is no WebAssembly), or a precompiled
 * `WebAssembly.Module` of `tfjs-prune/wasm/oneshot-simd.wasm` or `oneshot-scalar.wasm` (where
 * compiling from bytes is forbidden: Cloudflare workerd, a strict CSP). Without an argument: what
 * was chosen before, else SIMD where the runtime has it, the scalar build where it has only Wasm,
 * else 'js' (also when the embedded module does not compile here). Resolves to the build in use.
 * pruneOneShot calls it without an argument on each call.
 */
export async function loadOneShotKernels(build?: OneShotBuild | WebAssembly.Module): Promise<OneShotBuild> {
  if (typeof build === 'object' && build !== null) {
    if (!wasmSupported() || !(build instanceof WebAssembly.Module)) {
      throw new ArgumentError(`loadOneShotKernels: build must be 'simd', 'scalar', 'js' or a WebAssembly.Module, got ${Object.prototype.toString.call(build)}`);
    }
    const names = new Set(WebAssembly.Module.exports(build).map((e) => e.name));
    const imports = WebAssembly.Module.imports(build);
    if (EXPORTS.some((n) => !names.has(n)) || imports.length !== 1 || imports[0].kind !== 'memory') {
      throw new ArgumentError("loadOneShotKernels: the module is not a one-shot kernel build ('tfjs-prune/wasm/oneshot-simd.wasm' or 'oneshot-scalar.wasm')");
    }
    const ex = new WebAssembly.Instance(build, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports as unknown as OneShotExports;
    const kind: OneShotBuild = ex.isSimd() === 1 ? 'simd' : 'scalar';
    chosen = { build: kind, module: build };
    return kind;
  }
  if (build !== undefined && build !== 'simd' && build !== 'scalar' && build !== 'js') {
    throw new ArgumentError(`loadOneShotKernels: build must be 'simd', 'scalar', 'js' or a WebAssembly.Module, got ${Object.prototype.toString.call(build)}`);
  }
  if (build === undefined && chosen !== null) return chosen.build;
  if (build === 'js' || (build === undefined && !wasmSupported())) {
    chosen = { build: 'js', module: null };
    return 'js';
  }
  const want = build ?? (simdSupported() ? 'simd' : 'scalar');
  let next: { build: OneShotBuild; module: WebAssembly.Module | null };
  try {
    next = { build: want, module: await compile(want) };
  } catch (e) {
    if (build !== undefined) throw new ArgumentError(`loadOneShotKernels: the ${build} build does not compile here: ${(e as Error).message}`);
    next = { build: 'js', module: null };
  }
  chosen = next;
  return next.build;
}

/**
 * The kernels in use for a layer of d rows and m outputs, or null for plain JavaScript: before
 * loadOneShotKernels resolved, with the 'js' build, or when one call's copies (at most 3·d² + d·m or
 * d² + 3·d·m float64 values) would not fit in a 4 GiB Wasm memory.
 */
export function oneShotKernels(d = 0, m = 0): OneShotWasm | null {
  if (chosen === null || chosen.module === null) return null;
  const values = Math.max(3 * d * d + d * m, d * d + 3 * d * m);
  return values * 8 + 2 ** 26 > 2 ** 32 ? null : new OneShotWasm(chosen.module);
}

const PAGE = 65536;

const sizers = new WeakMap<WebAssembly.Module, OneShotExports>();

/** The work-space sizes of the GEMM kernels (asked of a one-page instance, kept per module). */
function workOf(module: WebAssembly.Module): OneShotExports {
  let ex = sizers.get(module);
  if (ex === undefined) {
    ex = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports as unknown as OneShotExports;
    sizers.set(module, ex);
  }
  return ex;
}

/** One operation's memory: a bump allocator over a WebAssembly.Memory sized up front. */
class Arena {
  readonly ex: OneShotExports;
  private readonly memory: WebAssembly.Memory;
  private top = 16;

  constructor(module: WebAssembly.Module, bytes: number) {
    const pages = Math.ceil((bytes + 16 * 64) / PAGE) + 1;
    if (pages > 65536) throw new ArgumentError(`pruneOneShot: a layer's statistics need ${(bytes / 2 ** 30).toFixed(1)} GiB of Wasm memory, more than its 4 GiB`);
    this.memory = new WebAssembly.Memory({ initial: pages });
    this.ex = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as OneShotExports;
  }

  alloc(bytes: number): number {
    const p = this.top;
    this.top = (p + bytes + 15) & ~15;
    return p;
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
}

/** Bytes an arena needs for the given float64 and float32 counts (plus alignment slack). */
function bytesFor(f64s: number[], f32s: number[] = [], extra = 0): number {
  let b = extra;
  for (const n of f64s) b += n * 8 + 16;
  for (const n of f32s) b += n * 4 + 16;
  return b;
}

/** Rows of one float32 accumulation chunk of the statistics (assembly/oneshot.ts, KC32). */
export const GRAM_ROWS = 128;
const NB_CHOL = 64;
const NB_INV = 128;
const NB_PROD = 128;

/** The Wasm kernels (one compiled build), as operations on typed arrays. */
export class OneShotWasm {
  constructor(private readonly module: WebAssembly.Module) {}

  /** Starts accumulating H = XᵀX (lower triangle) and R = XᵀY over rows of `inputs` and `m` values. */
  gram(inputs: number, m: number): WasmGram {
    return new WasmGram(this.module, inputs, m);
  }

  /** y = x·w for `count` rows (x count x d, w d x m, float32), float32 sums of 128 terms added in float64. */
  product(x: Float32Array, count: number, d: number, w: Float32Array, m: number): Float64Array {
    const probe = workOf(this.module);
    const work = probe.gemmF32Work(count, m);
    const a = new Arena(this.module, bytesFor([count * m], [count * d, d * m], work));
    const px = a.alloc(count * d * 4);
    const pw = a.alloc(d * m * 4);
    const py = a.alloc(count * m * 8);
    const pk = a.alloc(work);
    a.f32(px, count * d).set(x.subarray(0, count * d));
    a.f32(pw, d * m).set(w.subarray(0, d * m));
    a.ex.gemmF32(px, 1, d, pw, m, 1, d, count, m, py, m, 0, pk);
    return a.f64(py, count * m).slice();
  }

  /**
   * U (d x d, upper triangular, row-major) with UᵀU = (H + λI)⁻¹, for SparseGPT's sequential
   * update (the upper Cholesky factor of the inverse) and w* = UᵀU·R: the reversed matrix
   * P(H + λI)P is factored L·Lᵀ (blocked Cholesky), inverted (blocked), and U = P·L⁻¹·P, which is
   * the flat array of L⁻¹ reversed. λ is raised tenfold (up to 6 times) while the factorization
   * fails. Null if it never succeeds.
   */
  inverseFactor(h: Float64Array, d: number, lambda: number): { u: Float64Array; lambda: number } | null {
    const probe = workOf(this.module);
    const work = Math.max(probe.gemmF64Work(d, d), probe.gemmF64Work(NB_INV, d));
    const a = new Arena(this.module, bytesFor([d * d, d * d, NB_INV * d], [], work));
    const pa = a.alloc(d * d * 8);
    const px = a.alloc(d * d * 8);
    const pt = a.alloc(NB_INV * d * 8);
    const pk = a.alloc(work);
    let lam = lambda > 0 ? lambda : 1e-8;
    for (let attempt = 0; attempt < 7; attempt++, lam *= 10) {
      const av = a.f64(pa, d * d);
      av.set(h);
      av.reverse();
      for (let i = 0; i < d; i++) av[i * d + i] += lam;
      if (!blockedCholesky(a, pa, d, pk)) continue;
      for (let i = 0; i < d; i++) av.fill(0, i * d + i + 1, (i + 1) * d);
      blockedLowerInverse(a, pa, px, pt, d, pk);
      const u = a.f64(px, d * d).slice();
      return { u: u.reverse(), lambda: lam };
    }
    return null;
  }

  /** w* = Uᵀ·(U·R) for U from inverseFactor (d x d) and R (d x m): (H + λI)⁻¹R. */
  inverseTimes(u: Float64Array, d: number, r: Float64Array, m: number): Float64Array {
    const probe = workOf(this.module);
    const work = probe.gemmF64Work(NB_PROD, m);
    const a = new Arena(this.module, bytesFor([d * d, d * m, d * m, d * m], [], work));
    const pu = a.alloc(d * d * 8);
    const pr = a.alloc(d * m * 8);
    const pt = a.alloc(d * m * 8);
    const pw = a.alloc(d * m * 8);
    const pk = a.alloc(work);
    a.f64(pu, d * d).set(u);
    a.f64(pr, d * m).set(r);
    const { ex } = a;
    for (let i0 = 0; i0 < d; i0 += NB_PROD) {
      const bi = Math.min(NB_PROD, d - i0);
      // T[i] = Σ_{k >= i0} U[i][k]·R[k]   (U upper: U[i][k] = 0 for k < i)
      ex.gemmF64(pu + (i0 * d + i0) * 8, 1, d, pr + i0 * m * 8, m, 1, d - i0, bi, m, pt + i0 * m * 8, m, 1, 0, pk);
    }
    for (let i0 = 0; i0 < d; i0 += NB_PROD) {
      const bi = Math.min(NB_PROD, d - i0);
      // W[i] = Σ_{k < i0 + bi} U[k][i]·T[k]
      ex.gemmF64(pu + i0 * 8, d, 1, pt, m, 1, i0 + bi, bi, m, pw + i0 * m * 8, m, 1, 0, pk);
    }
    return a.f64(pw, d * m).slice();
  }

  /**
   * SparseGPT's sequential update with lazy batches, in place on w (d x m): for each block of
   * inputs [b0, b1) in order, `choose` gets the block's current rows (a view valid during the call)
   * and returns its keep mask ((b1 − b0) x m, 1 = kept); then every input i of the block in order
   * has its pruned weights' errors e = w_i / U_ii pushed onto the block's later rows (w_k −= U_ik·e),
   * and after the block onto all later rows at once (one product).
   */
  sparseGpt(u: Float64Array, d: number, w: Float64Array, m: number, blocks: readonly [number, number][], choose: (b0: number, b1: number, rows: Float64Array) => Uint8Array): void {
    let maxB = 1;
    for (const [b0, b1] of blocks) maxB = Math.max(maxB, b1 - b0);
    const probe = workOf(this.module);
    const work = probe.gemmF64Work(d, m);
    const a = new Arena(this.module, bytesFor([d * d, d * m, maxB * m], [], work));
    const pu = a.alloc(d * d * 8);
    const pw = a.alloc(d * m * 8);
    const pe = a.alloc(maxB * m * 8);
    const pk = a.alloc(work);
    a.f64(pu, d * d).set(u);
    const wv = a.f64(pw, d * m);
    wv.set(w);
    const ev = a.f64(pe, maxB * m);
    const { ex } = a;
    for (const [b0, b1] of blocks) {
      const keep = choose(b0, b1, wv.subarray(b0 * m, b1 * m));
      for (let i = b0; i < b1; i++) {
        const uii = u[i * d + i];
        const o = i * m;
        const eo = (i - b0) * m;
        for (let j = 0; j < m; j++) {
          if (keep[(i - b0) * m + j] !== 0) ev[eo + j] = 0;
          else {
            ev[eo + j] = wv[o + j] / uii;
            wv[o + j] = 0;
          }
        }
        if (i + 1 < b1) ex.rowUpdate(pw + (i + 1) * m * 8, m, b1 - i - 1, pu + (i * d + i + 1) * 8, 1, pe + eo * 8);
      }
      if (b1 < d) ex.gemmF64(pu + (b0 * d + b1) * 8, d, 1, pe, m, 1, b1 - b0, d - b1, m, pw + b1 * m * 8, m, -1, 0, pk);
    }
    w.set(wv);
  }

  /**
   * Exact least-squares refit of every output's kept weights (keep: inputs x m, 1 = kept; with a
   * bias, row d − 1 always kept): ŵ_S = (H_SS + λI)⁻¹R_Sj per output (assembly/oneshot.ts,
   * refitOutput). With `scores`, also each kept weight's ŵ_q² / [(H_SS + λI)⁻¹]_qq there (others 0).
   * Returns the d x m weights, or null if some output's system never factored.
   */
  refitAll(h: Float64Array, d: number, r: Float64Array, m: number, keep: Uint8Array, inputs: number, lambda: number, scores: Float64Array | null): Float64Array | null {
    const a = new Arena(this.module, bytesFor([d * d, d * m, 2 * d * d, d, d], [d]));
    const ph = a.alloc(d * d * 8);
    const pr = a.alloc(d * m * 8);
    const pk = a.alloc(2 * d * d * 8);
    const po = a.alloc(d * 8);
    const pd = a.alloc(d * 8);
    const pi = a.alloc(d * 4);
    a.f64(ph, d * d).set(h);
    a.f64(pr, d * m).set(r);
    const idx = a.i32(pi, d);
    const ov = a.f64(po, d);
    const dv = a.f64(pd, d);
    const out = new Float64Array(d * m);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < inputs; i++) if (keep[i * m + j] !== 0) idx[s++] = i;
      if (d > inputs) idx[s++] = inputs;
      if (s === 0) continue;
      if (a.ex.refitOutput(ph, d, pr, m, j, pi, s, lambda, po, scores === null ? 0 : pd, pk) === 0) return null;
      for (let p = 0; p < s; p++) out[idx[p] * m + j] = ov[p];
      if (scores !== null) {
        for (let i = 0; i < inputs; i++) scores[i * m + j] = 0;
        for (let p = 0; p < s; p++) if (idx[p] < inputs) scores[idx[p] * m + j] = (ov[p] * ov[p]) / dv[p];
      }
    }
    return out;
  }

  /** Per output j: ŵ_jᵀHŵ_j − 2ŵ_jᵀR_j over the nonzero weights (assembly/oneshot.ts, quadForms). */
  quadForms(h: Float64Array, d: number, w: Float64Array, r: Float64Array, m: number): Float64Array {
    const a = new Arena(this.module, bytesFor([d * d, d * m, d * m, m, d], [d]));
    const ph = a.alloc(d * d * 8);
    const pw = a.alloc(d * m * 8);
    const pr = a.alloc(d * m * 8);
    const po = a.alloc(m * 8);
    const pv = a.alloc(d * 8);
    const pi = a.alloc(d * 4);
    a.f64(ph, d * d).set(h);
    a.f64(pw, d * m).set(w);
    a.f64(pr, d * m).set(r);
    a.ex.quadForms(ph, d, pw, m, pr, po, pi, pv);
    return a.f64(po, m).slice();
  }
}

/**
 * Right-looking blocked Cholesky of the d x d matrix at pa in place (lower triangle; the strict
 * upper one is left holding junk): each diagonal block factored, the panel below it solved, the
 * trailing lower triangle updated by one product. False if not positive definite.
 */
function blockedCholesky(a: Arena, pa: number, d: number, pk: number): boolean {
  const { ex } = a;
  for (let p0 = 0; p0 < d; p0 += NB_CHOL) {
    const b = Math.min(NB_CHOL, d - p0);
    const diag = pa + (p0 * d + p0) * 8;
    if (ex.cholBlock(diag, b, d) === 0) return false;
    const rest = d - p0 - b;
    if (rest === 0) break;
    const panel = pa + ((p0 + b) * d + p0) * 8;
    ex.trsmLowerT(diag, d, panel, d, rest, b);
    // A22 −= L21·L21ᵀ (lower tiles): A(k, i) = L21[i][k], B(k, j) = L21[j][k].
    ex.gemmF64(panel, 1, d, panel, 1, d, b, rest, rest, pa + ((p0 + b) * d + p0 + b) * 8, d, -1, 1, pk);
  }
  return true;
}

/**
 * X = L⁻¹ for the lower triangular L at pa (strict upper triangle zero) into px (zeroed memory):
 * block rows in order, X[I][I] = L_II⁻¹, X[I][0:i0] = −X[I][I]·(Σ_K L[I][K]·X[K][0:i0]), the sum
 * taken per column block J over K from J to I only (X is lower triangular).
 */
function blockedLowerInverse(a: Arena, pa: number, px: number, pt: number, d: number, pk: number): void {
  const { ex } = a;
  for (let i0 = 0; i0 < d; i0 += NB_INV) {
    const bi = Math.min(NB_INV, d - i0);
    ex.lowerInverseBlock(pa + (i0 * d + i0) * 8, d, px + (i0 * d + i0) * 8, d, bi);
    if (i0 === 0) continue;
    a.f64(pt, bi * i0).fill(0);
    for (let j0 = 0; j0 < i0; j0 += NB_INV) {
      const bj = Math.min(NB_INV, i0 - j0);
      // T[i][j0 + j] = Σ_{k = j0}^{i0-1} L[i0 + i][k]·X[k][j0 + j]
      ex.gemmF64(pa + (i0 * d + j0) * 8, 1, d, px + (j0 * d + j0) * 8, d, 1, i0 - j0, bi, bj, pt + j0 * 8, i0, 1, 0, pk);
    }
    // X[i0 + i][0:i0] = −Σ_k X[i0 + i][i0 + k]·T[k]
    ex.gemmF64(px + (i0 * d + i0) * 8, 1, d, pt, i0, 1, bi, bi, i0, px + i0 * d * 8, d, -1, 0, pk);
  }
}

/**
 * H (lower triangle) and R of a layer's statistics in Wasm memory. Rows are buffered until
 * GRAM_ROWS have arrived, then added by the float32 kernel (one float32 sum per 128 rows, added in
 * float64), so the result depends only on the rows' order, not on how they were batched.
 */
export class WasmGram {
  private readonly a: Arena;
  private readonly ph: number;
  private readonly pr: number;
  private readonly px: number;
  private readonly py: number;
  private readonly pk: number;
  private pending = 0;

  constructor(
    module: WebAssembly.Module,
    readonly inputs: number,
    readonly m: number,
  ) {
    const probe = workOf(module);
    const work = Math.max(probe.gemmF32Work(inputs, inputs), probe.gemmF32Work(inputs, m));
    this.a = new Arena(module, bytesFor([inputs * inputs, inputs * m], [GRAM_ROWS * inputs, GRAM_ROWS * m], work));
    this.ph = this.a.alloc(inputs * inputs * 8);
    this.pr = this.a.alloc(inputs * m * 8);
    this.px = this.a.alloc(GRAM_ROWS * inputs * 4);
    this.py = this.a.alloc(GRAM_ROWS * m * 4);
    this.pk = this.a.alloc(work);
  }

  /** Adds `rows` rows: x (rows x inputs) and y (rows x m), float32. */
  add(x: Float32Array, y: Float32Array, rows: number): void {
    const { inputs, m } = this;
    for (let s = 0; s < rows; ) {
      const take = Math.min(rows - s, GRAM_ROWS - this.pending);
      this.a.f32(this.px + this.pending * inputs * 4, take * inputs).set(x.subarray(s * inputs, (s + take) * inputs));
      this.a.f32(this.py + this.pending * m * 4, take * m).set(y.subarray(s * m, (s + take) * m));
      this.pending += take;
      s += take;
      if (this.pending === GRAM_ROWS) this.flush();
    }
  }

  private flush(): void {
    const k = this.pending;
    if (k === 0) return;
    const { inputs, m, ph, pr, px, py, pk } = this;
    this.a.ex.gemmF32(px, inputs, 1, px, inputs, 1, k, inputs, inputs, ph, inputs, 1, pk);
    this.a.ex.gemmF32(px, inputs, 1, py, m, 1, k, inputs, m, pr, m, 0, pk);
    this.pending = 0;
  }

  /**
   * Adds the buffered rows and copies H's lower triangle (into the leading inputs x inputs block of
   * h, whose row stride is `ld`) and R (into the first inputs·m values of r).
   */
  finishInto(h: Float64Array, ld: number, r: Float64Array): void {
    this.flush();
    const { inputs, m } = this;
    const hv = this.a.f64(this.ph, inputs * inputs);
    for (let i = 0; i < inputs; i++) h.set(hv.subarray(i * inputs, i * inputs + i + 1), i * ld);
    r.set(this.a.f64(this.pr, inputs * m));
  }
}
