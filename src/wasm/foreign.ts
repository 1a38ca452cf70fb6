// The tensor kernels (assembly/tensor.ts) on memory this library does not own.
//
// Those builds import their memory (`env.memory`), have no data segments, no start function and
// never allocate, so one instance can be placed on any WebAssembly.Memory: tfjs-backend-wasm's own
// (the tensors are read and written where they live, no copy), or the core runtime's (the copying
// path used for the cpu backend and as a fallback). A shared memory (the threaded tfjs backend)
// needs the build declared `shared` (tensor-shared), else instantiation fails with a LinkError.
//
// Every pointer is a byte offset into that memory; the caller owns every byte it addresses.
// Scratch for the radix select comes from the caller's allocator (`ForeignHeap`), per call.
import { ArgumentError, WasmError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { asMemory, simdSupported } from './detect.js';
import type { LinearMemory } from './purejs.js';
import { loadPureJs, pureJsLoaded } from './purejs-load.js';
import { moduleFrom, runtime } from './runtime.js';
import { selectKth, type Selection } from './select.js';
import { tensorSimdBase64 } from './tensor-binaries.generated.js';

/** The exports of the tensor builds. */
export interface TensorKernelExports {
  isSimd(): number;
  countNaN(ptr: number, n: number): number;
  firstNaN(ptr: number, n: number): number;
  histogramAll(ptr: number, n: number, histPtr: number): number;
  histogramPrefix(ptr: number, n: number, histPtr: number, shift: number, prefixShift: number, prefix: number): void;
  gatherPrefix(ptr: number, n: number, prefixShift: number, prefix: number, outPtr: number, count: number, cap: number): number;
  countBracket(ptr: number, n: number, lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number;
  pruneAboveTo(srcPtr: number, dstPtr: number, n: number, tBits: number): number;
  pruneSelectTo(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number;
  maskAboveF32(srcPtr: number, dstPtr: number, n: number, tBits: number): number;
  maskSelectF32(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number;
  applyMask32To(srcPtr: number, maskPtr: number, dstPtr: number, n: number, maskBits: number): void;
  applyMask8To(srcPtr: number, maskPtr: number, dstPtr: number, n: number): void;
}

/** An allocator on a foreign memory (tfjs-backend-wasm's `_malloc`/`_free`, or the core Heap). */
export interface ForeignHeap {
  readonly memory: LinearMemory;
  /** Byte offset of a block of at least `bytes` bytes, 4-byte aligned at least. */
  malloc(bytes: number): number;
  free(ptr: number): void;
}

export type TensorBuild = 'simd' | 'scalar' | 'shared';

interface Loaded {
  /** simd or scalar: for unshared memories; null for the pure-JS build (any memory). */
  local: WebAssembly.Module | null;
  localBuild: 'simd' | 'scalar' | 'js';
  /** null where this runtime has no shared memory (no SharedArrayBuffer, or no threads). */
  shared: WebAssembly.Module | null;
}

let loaded: Loaded | null = null;
const compiled = new Map<TensorBuild, Promise<WebAssembly.Module>>();
const instances = new WeakMap<LinearMemory, TensorKernels>();

// The SIMD build is embedded here; the scalar and shared-memory builds are imported (`import()`)
// only by runtimes that run them, so a bundler leaves them in chunks SIMD runtimes never load.
async function bytesOf(build: TensorBuild): Promise<Uint8Array<ArrayBuffer>> {
  const b64 =
    build === 'simd'
      ? tensorSimdBase64
      : build === 'scalar'
        ? (await import('./tensor-scalar.generated.js')).tensorScalarBase64
        : (await import('./tensor-shared.generated.js')).tensorSharedBase64;
  return decodeBase64(b64) as Uint8Array<ArrayBuffer>;
}

function compile(build: TensorBuild): Promise<WebAssembly.Module> {
  let p = compiled.get(build);
  if (p === undefined) {
    p = bytesOf(build).then((bytes) => WebAssembly.compile(bytes));
    compiled.set(build, p);
  }
  return p;
}

// The smallest module that imports a shared memory (SIMD is checked apart): it validates where the
// runtime has the threads proposal, as the shared build needs.
//   (module (import "env" "memory" (memory 1 1 shared)))
const SHARED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 16, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 3, 1, 1]);

/** Whether this runtime can run the shared-memory build (threads proposal, SharedArrayBuffer). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || !simdSupported()) return false;
  try {
    return WebAssembly.validate(SHARED_PROBE);
  } catch {
    return false;
  }
}

/**
 * Compiles (once each) the tensor build for unshared memories — SIMD or scalar — and, where the
 * runtime supports it, the shared-memory build. Compiling is async so that no large synchronous
 * compile happens on a browser's main thread; instantiating later (`tensorKernelsOn`) is sync and
 * cheap, which is what tfjs kernel functions need.
 */
export async function loadTensorKernels(simd: boolean, source?: TensorModuleSource, js = false): Promise<void> {
  if (js) {
    // The pure-JS build (the core runtime runs it): it works on any memory, shared ones included.
    await loadPureJs();
    loaded = { local: null, localBuild: 'js', shared: null };
    return;
  }
  if (source !== undefined) {
    const local = await toTensorModule(source);
    // The shared build too where it compiles; where compiling from bytes is forbidden (the
    // reason to pass a module) the threaded backend takes the copying fallback instead.
    const shared = sharedMemorySupported() ? await compile('shared').catch(() => null) : null;
    loaded = { local, localBuild: buildOf(local), shared };
    return;
  }
  const localBuild = simd && simdSupported() ? 'simd' : 'scalar';
  let local: WebAssembly.Module;
  let shared: WebAssembly.Module | null;
  try {
    [local, shared] = await Promise.all([
      compile(localBuild),
      sharedMemorySupported() ? compile('shared') : Promise.resolve(null),
    ]);
  } catch (e) {
    compiled.clear();
    throw new WasmError(
      'WASM_UNSUPPORTED',
      `registerPruneKernels: the tensor kernels do not compile here (${(e as Error).message}); where Wasm cannot be ` +
        "compiled from bytes (Cloudflare Workers), pass { module, tensorModule }: precompiled modules of 'tfjs-prune/wasm/simd.wasm' and 'tfjs-prune/wasm/tensor-simd.wasm'",
    );
  }
  loaded = { local, localBuild, shared };
}

/** What registerPruneKernels({ tensorModule }) accepts: a tensor build, compiled or as bytes. */
export type TensorModuleSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

const TENSOR_EXPORTS: readonly (keyof TensorKernelExports)[] = [
  'isSimd', 'countNaN', 'firstNaN', 'histogramAll', 'histogramPrefix', 'gatherPrefix', 'countBracket', 'pruneAboveTo',
  'pruneSelectTo', 'maskAboveF32', 'maskSelectF32', 'applyMask32To', 'applyMask8To',
];

async function toTensorModule(source: TensorModuleSource): Promise<WebAssembly.Module> {
  const what = "tensorModule (a WebAssembly.Module or the bytes of 'tfjs-prune/wasm/tensor-simd.wasm' or 'tensor-scalar.wasm')";
  const { module, missing } = await moduleFrom(source, TENSOR_EXPORTS, {
    compile: (m) => `registerPruneKernels: ${what} does not compile: ${m}`,
    type: (x) => `registerPruneKernels: ${what} has the wrong type: ${Object.prototype.toString.call(x)}`,
  });
  const imports = WebAssembly.Module.imports(module);
  if (missing.length > 0 || imports.length !== 1 || imports[0].kind !== 'memory') {
    throw new ArgumentError(
      `registerPruneKernels: ${what} is not a tensor kernel build` + (missing.length > 0 ? ` (missing exports: ${missing.join(', ')})` : ''),
    );
  }
  return module;
}

// simd or scalar, asked of the module itself on a scratch memory; the shared build cannot be
// placed on an unshared memory, and is refused.
function buildOf(module: WebAssembly.Module): 'simd' | 'scalar' {
  let ex: TensorKernelExports;
  try {
    ex = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports as unknown as TensorKernelExports;
  } catch (e) {
    throw new ArgumentError(
      `registerPruneKernels: tensorModule must be tensor-simd.wasm or tensor-scalar.wasm (it does not instantiate on an unshared memory: ${(e as Error).message})`,
    );
  }
  return ex.isSimd() === 1 ? 'simd' : 'scalar';
}

export function tensorKernelsLoaded(): boolean {
  return loaded !== null;
}

/**
 * The tensor kernels instantiated on `memory` (once per memory and build). Throws a WasmError
 * when loadTensorKernels() has not finished, and lets WebAssembly's LinkError through when the
 * memory does not fit the build (callers feature-detect with it).
 */
export function tensorKernelsOn(memory: LinearMemory, fname: string): TensorKernels {
  if (loaded === null) {
    throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the tensor kernels are not loaded; await registerPruneKernels() first`);
  }
  // The pure-JS build when the runtime runs it, and on any memory that is not a WebAssembly.Memory
  // (the core runtime's, after a later init({ backend: 'js' }) than registerPruneKernels()).
  if (loaded.localBuild === 'js' || asMemory(memory) === null) {
    const cached = instances.get(memory);
    if (cached !== undefined && cached.build === 'js') return cached;
    // Loaded: registerPruneKernels loads it for 'js', and the core runtime, whose memory this is
    // otherwise, has loaded it to run.
    const pure = pureJsLoaded();
    if (pure === null) throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the pure-JS kernels are not loaded; await registerPruneKernels() first`);
    const k = new TensorKernels(null, memory, pure.jsTensorKernels(memory), 'js');
    instances.set(memory, k);
    return k;
  }
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const module = shared ? loaded.shared : loaded.local;
  if (module === null) {
    throw new WasmError('WASM_UNSUPPORTED', `${fname}: this runtime cannot run the shared-memory kernel build`);
  }
  const cached = instances.get(memory);
  if (cached !== undefined && cached.module === module) return cached;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const k = new TensorKernels(module, memory, instance.exports as unknown as TensorKernelExports, shared ? 'shared' : loaded.localBuild);
  instances.set(memory, k);
  return k;
}

/**
 * A fresh, uncached instance of one particular build on `memory`, whatever loadTensorKernels()
 * chose: for tests and benchmarks that compare the builds.
 */
export async function instantiateTensorBuild(build: TensorBuild, memory: WebAssembly.Memory): Promise<TensorKernels> {
  const module = await compile(build);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return new TensorKernels(module, memory, instance.exports as unknown as TensorKernelExports, build);
}

export { asMemory };

/**
 * The core runtime's memory and allocator (init() must have run): where the copying path puts
 * tensors that live outside Wasm memory. Blocks are released by the caller within the call.
 */
export function coreHeap(fname: string): ForeignHeap {
  const rt = runtime(fname);
  return {
    memory: rt.heap.memory,
    malloc: (bytes) => rt.heap.alloc(bytes),
    free: (ptr) => rt.heap.release(ptr),
  };
}

/** The tensor kernels bound to one memory, with views rebuilt whenever the memory has grown. */
export class TensorKernels {
  /** null for the pure-JS build. */
  readonly module: WebAssembly.Module | null;
  readonly memory: LinearMemory;
  readonly ex: TensorKernelExports;
  readonly build: TensorBuild | 'js';
  private buffer: ArrayBufferLike | null = null;
  private u8View = new Uint8Array(0);
  private u32View = new Uint32Array(0);
  private f32View = new Float32Array(0);

  constructor(module: WebAssembly.Module | null, memory: LinearMemory, ex: TensorKernelExports, build: TensorBuild | 'js') {
    this.module = module;
    this.memory = memory;
    this.ex = ex;
    this.build = build;
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }

  get u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }

  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  /**
   * Copies values into memory at `ptr`: float32 (`f32`), 32-bit integers kept bit for bit
   * (`i32`) or bytes (`u8`). Typed arrays of the matching kind are byte copies (-0 and NaN
   * payloads survive); anything else is converted value by value.
   */
  put(ptr: number, values: ArrayLike<number>, kind: 'f32' | 'i32' | 'u8'): void {
    const n = values.length;
    if (n === 0) return;
    if (kind === 'u8') {
      this.u8.set(values, ptr);
    } else if (kind === 'f32') {
      if (values instanceof Float32Array) this.u32.set(new Uint32Array(values.buffer, values.byteOffset, n), ptr >>> 2);
      else this.f32.set(values, ptr >>> 2);
    } else if (values instanceof Int32Array || values instanceof Uint32Array) {
      this.u32.set(new Uint32Array(values.buffer, values.byteOffset, n), ptr >>> 2);
    } else {
      this.u32.set(Int32Array.from(values), ptr >>> 2);
    }
  }

  /** A copy of the n float32 at `ptr`. */
  getF32(ptr: number, n: number): Float32Array {
    return this.f32.slice(ptr >>> 2, (ptr >>> 2) + n);
  }

  /** NaN count and index of the first, or null when there is none. */
  findNaN(ptr: number, n: number): { count: number; first: number } | null {
    const count = this.ex.countNaN(ptr, n) >>> 0;
    return count === 0 ? null : { count, first: this.ex.firstNaN(ptr, n) };
  }

  /**
   * The k-th smallest magnitude (k in [1, n]) of the n floats at `ptr` (select.ts); null when the
   * floats hold NaN. Scratch is taken from `heap` and given back before returning.
   */
  select(heap: ForeignHeap, ptr: number, n: number, k: number): Selection | null {
    const memory = this.memory;
    // A getter: the scratch taken from `heap` may grow the memory and detach earlier views.
    return selectKth(this.ex, heap, { n, get bits() { return new Uint32Array(memory.buffer, ptr, n); }, each: (fn) => fn(ptr, n) }, k);
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.u8View = new Uint8Array(buffer);
    this.u32View = new Uint32Array(buffer);
    this.f32View = new Float32Array(buffer);
  }
}
