// tfjs-prune: the typed-array kernels with both Wasm builds embedded. No tfjs, no Node built-ins.
import { decodeBase64, initRuntime, jsBuild, type InitOptions, type WasmInfo } from './wasm/index.js';
import { simdBase64 } from './wasm/binaries.generated.js';

export * from './public.js';

/**
 * Compiles (once) and instantiates the kernels: the SIMD build where the runtime supports it, the
 * scalar build otherwise or with `forceScalar`, or the module you pass; where there is no
 * WebAssembly (or the embedded build cannot compile), the pure-JS build with the same results
 * (`backend: 'js'` forces it). Must be awaited before any kernel call; calling it again with the
 * same options is free.
 */
export function init(options: InitOptions = {}): Promise<WasmInfo> {
  return initRuntime(
    options,
    {
      simd: () => decodeBase64(simdBase64),
      // Only runtimes without SIMD (or forceScalar) load the scalar build's chunk.
      scalar: async () => decodeBase64((await import('./wasm/binaries-scalar.generated.js')).scalarBase64),
    },
    jsBuild,
  );
}
