import { ArgumentError, WasmError } from '../errors.js';
import { simdSupported, wasmSupported } from './detect.js';
import { KERNEL_EXPORT_NAMES, type KernelExports } from './exports.js';
import { Heap } from './heap.js';

export interface InitOptions {
  /**
   * A kernel build to use instead of the embedded one: a precompiled `WebAssembly.Module` (needed
   * where compiling from bytes is forbidden, e.g. Cloudflare Workers) or the bytes of
   * `tfjs-prune/wasm/simd.wasm` / `scalar.wasm`. Required with the `slim` entry.
   */
  module?: WebAssembly.Module | ArrayBuffer | ArrayBufferView;
  /** Use the scalar build even where SIMD is supported (embedded binaries only). */
  forceScalar?: boolean;
  /**
   * Floats per chunk when weights live outside Wasm memory: they are copied through a window of
   * this size, so Wasm memory stays bounded whatever the array's length. Default 65536 (256 KiB).
   */
  chunkLength?: number;
  /**
   * Which implementation runs the kernels. `'auto'` (default): the Wasm build where the runtime
   * has WebAssembly, else — or when the embedded build cannot be compiled or instantiated — the
   * pure-JS build, with identical results. `'wasm'` never falls back (throws a WasmError instead);
   * `'js'` always runs the pure-JS build (no Wasm is compiled).
   */
  backend?: 'auto' | 'wasm' | 'js';
}

export interface WasmInfo {
  /** `'wasm'`, or `'js'` for the pure-JS fallback (engines without WebAssembly). */
  backend: 'wasm' | 'js';
  /** Whether the SIMD build is running (always false for the pure-JS build). */
  simd: boolean;
  chunkLength: number;
  /** Current size of the kernel module's linear memory. */
  memoryBytes: number;
}

/**
 * What the default entry embeds; the slim entry has none. A build may come asynchronously: the
 * scalar one is imported (`import()`) only where SIMD is missing or refused.
 */
export interface EmbeddedBinaries {
  simd(): Uint8Array | Promise<Uint8Array>;
  scalar(): Uint8Array | Promise<Uint8Array>;
}

const DEFAULT_CHUNK = 1 << 16;

export interface Runtime {
  readonly ex: KernelExports;
  readonly heap: Heap;
  readonly backend: 'wasm' | 'js';
  readonly simd: boolean;
  readonly chunkLength: number;
  readonly chunkPtr: number;
  readonly maskPtr: number;
}

let current: Runtime | null = null;
let currentKey: string | null = null;
const compiled = new Map<string, Promise<WebAssembly.Module>>();

export function runtime(fname: string): Runtime {
  if (current === null) {
    throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the Wasm kernels are not initialised; await init() first`);
  }
  return current;
}

export function isCurrent(rt: Runtime): boolean {
  return rt === current;
}

export function wasmInfo(): WasmInfo {
  const rt = runtime('wasmInfo');
  return { backend: rt.backend, simd: rt.simd, chunkLength: rt.chunkLength, memoryBytes: rt.ex.memory.buffer.byteLength };
}

/**
 * Makes the pure-JS build (the default entry carries it, imported only when it runs; the slim
 * entry does not, to stay small).
 */
export type JsBuild = () => Promise<KernelExports>;

export async function initRuntime(options: InitOptions, embedded: EmbeddedBinaries | null, js: JsBuild | null = null): Promise<WasmInfo> {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`init: options must be an object, got ${String(options)}`);
  }
  const chunkLength = options.chunkLength ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkLength) || chunkLength < 1024 || chunkLength > 1 << 28 || chunkLength % 16 !== 0) {
    throw new ArgumentError(`init: chunkLength must be a multiple of 16 in [1024, 2^28], got ${String(chunkLength)}`);
  }
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'js') {
    throw new ArgumentError(`init: backend must be 'auto', 'wasm' or 'js', got ${String(backend)}`);
  }
  if (backend === 'js') {
    if (options.module !== undefined || options.forceScalar) {
      throw new ArgumentError("init: backend 'js' runs no Wasm; it cannot be combined with module or forceScalar");
    }
    if (js === null) throw new ArgumentError("init: the slim entry carries no pure-JS build; import 'tfjs-prune' for backend 'js'");
    return useJs(js, chunkLength);
  }
  if (!wasmSupported()) {
    if (backend === 'wasm' || options.module !== undefined || js === null) {
      throw new WasmError(
        'WASM_UNSUPPORTED',
        js === null
          ? "init: this runtime has no WebAssembly, and the slim entry carries no pure-JS build; import 'tfjs-prune', which falls back to it"
          : 'init: this runtime has no WebAssembly',
      );
    }
    return useJs(js, chunkLength);
  }
  let module: WebAssembly.Module;
  let key: string | null = null;
  if (options.module !== undefined) {
    if (options.forceScalar) {
      throw new ArgumentError('init: forceScalar chooses between the embedded builds; it cannot be combined with module');
    }
    module = await toModule(options.module);
  } else {
    if (embedded === null) {
      throw new ArgumentError(
        "init: the slim entry embeds no Wasm; pass { module } (a WebAssembly.Module or the bytes of 'tfjs-prune/wasm/simd.wasm' or 'scalar.wasm')",
      );
    }
    const which = !options.forceScalar && simdSupported() ? 'simd' : 'scalar';
    key = `${which}:${chunkLength}`;
    if (current !== null && key === currentKey) return wasmInfo();
    let pending = compiled.get(which);
    if (pending === undefined) {
      const binaries = embedded;
      pending = Promise.resolve()
        .then(() => binaries[which]())
        .then((bytes) => WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
      compiled.set(which, pending);
    }
    try {
      module = await pending;
    } catch (e) {
      compiled.delete(which);
      // e.g. an embedder that forbids compiling Wasm from bytes (Cloudflare workerd, a strict CSP).
      if (backend === 'auto' && js !== null) return useJs(js, chunkLength);
      throw new WasmError('WASM_UNSUPPORTED', `init: the embedded ${which} build does not compile here: ${(e as Error).message}`);
    }
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, {});
  } catch (e) {
    if (backend === 'auto' && options.module === undefined && js !== null) return useJs(js, chunkLength);
    throw e;
  }
  const ex = instance.exports as unknown as KernelExports;
  install(ex, 'wasm', ex.isSimd() === 1, chunkLength, key);
  return wasmInfo();
}

async function useJs(js: JsBuild, chunkLength: number): Promise<WasmInfo> {
  const key = `js:${chunkLength}`;
  if (current !== null && key === currentKey) return wasmInfo();
  const ex = await js();
  if (current !== null && key === currentKey) return wasmInfo();
  install(ex, 'js', false, chunkLength, key);
  return wasmInfo();
}

function install(ex: KernelExports, backend: 'wasm' | 'js', simd: boolean, chunkLength: number, key: string | null): void {
  const heap = new Heap(ex.memory, ex.heapBase());
  current = {
    ex,
    heap,
    backend,
    simd,
    chunkLength,
    chunkPtr: heap.alloc(chunkLength * 4),
    maskPtr: heap.alloc(chunkLength),
  };
  currentKey = key;
}

async function toModule(source: InitOptions['module']): Promise<WebAssembly.Module> {
  const { module, missing } = await moduleFrom(source, KERNEL_EXPORT_NAMES, {
    compile: (m) => `init: module bytes do not compile: ${m}`,
    type: () => 'init: module must be a WebAssembly.Module, an ArrayBuffer or a typed array',
  });
  if (missing.length > 0) {
    throw new ArgumentError(`init: module is not a tfjs-prune kernel build (missing exports: ${missing.join(', ')})`);
  }
  return module;
}

/**
 * A module from what a caller passed (init's `module`, registerPruneKernels' `tensorModule`):
 * a WebAssembly.Module as is, bytes compiled; `missing` lists the `exports` it lacks. Throws an
 * ArgumentError with `messages`' text for bytes that do not compile and for any other type.
 */
export async function moduleFrom(
  source: unknown,
  exports: readonly string[],
  messages: { compile: (reason: string) => string; type: (source: unknown) => string },
): Promise<{ module: WebAssembly.Module; missing: string[] }> {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      module = await WebAssembly.compile(source as BufferSource);
    } catch (e) {
      throw new ArgumentError(messages.compile((e as Error).message));
    }
  } else {
    throw new ArgumentError(messages.type(source));
  }
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  return { module, missing: exports.filter((n) => !names.has(n)) };
}
