// The sparse inference kernels (assembly/sparse.ts) on memory this library does not own.
//
// Like the tensor builds, they import their memory and never allocate, so an instance can sit on
// tfjs-backend-wasm's WebAssembly.Memory (zero copy) or on any other memory. Both builds are
// embedded as base64 in chunks of their own, imported (`import()`) only by loadSparseKernels, so
// nothing of them reaches an app that does not run sparse layers.
import { ArgumentError, WasmError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { simdSupported } from './detect.js';
import { moduleFrom } from './runtime.js';

/**
 * The exports of assembly/sparse.ts the kernels use (pointers are byte offsets into the memory;
 * transposePanels and spmmPanels, spmmPanelsFused's parts, are there for bench/sparse-kernel.mjs).
 */
export interface SparseKernelExports {
  isSimd(): number;
  spmmRows(xPtr: number, rows: number, k: number, n: number, countsPtr: number, idxPtr: number, wide: number,
    valPtr: number, biasPtr: number, hasBias: number, yPtr: number, act: number): void;
  untransposePanels(ytPtr: number, rows: number, n: number, yPtr: number): void;
  spmmPanelsFused(xPtr: number, rows: number, k: number, n: number, countsPtr: number, idxPtr: number, wide: number,
    valPtr: number, biasPtr: number, hasBias: number, yPtr: number, act: number, scratchPtr: number, maxWidth: number): void;
  im2colPanels(xPtr: number, b: number, h: number, w: number, c: number, kh: number, kw: number, padT: number, padL: number,
    sh: number, sw: number, dh: number, dw: number, oh: number, ow: number, xtPtr: number): void;
  spmmConvPanels(xPtr: number, b: number, h: number, w: number, c: number, kh: number, kw: number, padT: number, padL: number,
    sh: number, sw: number, dh: number, dw: number, oh: number, ow: number, n: number, countsPtr: number, idxPtr: number, wide: number, valPtr: number, biasPtr: number,
    hasBias: number, ytPtr: number, act: number, scratchPtr: number): void;
}

export type SparseBuild = 'simd' | 'scalar';

/** What registerSparseKernels({ sparseModule }) accepts: a sparse build, compiled or as bytes. */
export type SparseModuleSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

const EXPORTS: readonly (keyof SparseKernelExports)[] = ['isSimd', 'spmmRows', 'untransposePanels', 'spmmPanelsFused', 'im2colPanels', 'spmmConvPanels'];

const compiled = new Map<SparseBuild, Promise<WebAssembly.Module>>();
let chosen: { module: WebAssembly.Module; build: SparseBuild } | null = null;
const instances = new WeakMap<WebAssembly.Memory, Map<WebAssembly.Module, SparseKernelExports>>();

async function bytesOf(build: SparseBuild): Promise<Uint8Array<ArrayBuffer>> {
  const b64 =
    build === 'simd'
      ? (await import('./sparse-simd.generated.js')).sparseSimdBase64
      : (await import('./sparse-scalar.generated.js')).sparseScalarBase64;
  return decodeBase64(b64) as Uint8Array<ArrayBuffer>;
}

/** Compiles one build of the embedded sparse kernels (once). */
export function compileSparseBuild(build: SparseBuild): Promise<WebAssembly.Module> {
  let p = compiled.get(build);
  if (p === undefined) {
    p = bytesOf(build).then((bytes) => WebAssembly.compile(bytes));
    p.catch(() => compiled.delete(build));
    compiled.set(build, p);
  }
  return p;
}

/**
 * Compiles the sparse kernels: the SIMD build where the runtime has Wasm SIMD (or `source`, a
 * precompiled module or the bytes of tfjs-prune/wasm/sparse-simd.wasm / sparse-scalar.wasm), the
 * scalar build otherwise or when `forceScalar`. Returns the build chosen.
 */
export async function loadSparseKernels(source?: SparseModuleSource, forceScalar = false): Promise<SparseBuild> {
  if (typeof WebAssembly !== 'object') throw new WasmError('WASM_UNSUPPORTED', 'registerSparseKernels: this runtime has no WebAssembly');
  if (source !== undefined) {
    const what = "sparseModule (a WebAssembly.Module or the bytes of 'tfjs-prune/wasm/sparse-simd.wasm' or 'sparse-scalar.wasm')";
    const { module, missing } = await moduleFrom(source, EXPORTS, {
      compile: (m) => `registerSparseKernels: ${what} does not compile: ${m}`,
      type: (x) => `registerSparseKernels: ${what} has the wrong type: ${Object.prototype.toString.call(x)}`,
    });
    const imports = WebAssembly.Module.imports(module);
    if (missing.length > 0 || imports.length !== 1 || imports[0].kind !== 'memory') {
      throw new ArgumentError(`registerSparseKernels: ${what} is not a sparse kernel build`);
    }
    const build = instantiate(module, new WebAssembly.Memory({ initial: 1 })).isSimd() === 1 ? 'simd' : 'scalar';
    chosen = { module, build };
    return build;
  }
  const build: SparseBuild = !forceScalar && simdSupported() ? 'simd' : 'scalar';
  try {
    chosen = { module: await compileSparseBuild(build), build };
  } catch (e) {
    throw new WasmError('WASM_UNSUPPORTED', `registerSparseKernels: the sparse kernels do not compile here (${(e as Error).message}); pass { sparseModule } precompiled`);
  }
  return build;
}

export function sparseKernelsLoaded(): SparseBuild | null {
  return chosen?.build ?? null;
}

/**
 * The chosen build instantiated on `memory` (once per memory). Lets WebAssembly's LinkError
 * through when the memory does not fit (a shared memory: there is no shared-memory build yet).
 */
export function sparseKernelsOn(memory: WebAssembly.Memory, fname: string): SparseKernelExports {
  if (chosen === null) throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the sparse kernels are not loaded; await registerSparseKernels() first`);
  return instantiate(chosen.module, memory);
}

/** One particular build on `memory`, whatever loadSparseKernels chose (tests, benchmarks). */
export async function sparseBuildOn(build: SparseBuild, memory: WebAssembly.Memory): Promise<SparseKernelExports> {
  return instantiate(await compileSparseBuild(build), memory);
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): SparseKernelExports {
  let byModule = instances.get(memory);
  if (byModule === undefined) instances.set(memory, (byModule = new Map()));
  let ex = byModule.get(module);
  if (ex === undefined) {
    ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SparseKernelExports;
    byModule.set(module, ex);
  }
  return ex;
}

/** Copies 32-bit words (float32 or int32, bit for bit) into `memory` at byte offset `ptr`. */
export function putWords(memory: WebAssembly.Memory, ptr: number, words: Float32Array | Int32Array): void {
  new Int32Array(memory.buffer, ptr, words.length).set(new Int32Array(words.buffer, words.byteOffset, words.length));
}
