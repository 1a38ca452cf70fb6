// tfjs-prune: the typed-array kernels with both Wasm builds embedded. No tfjs, no Node built-ins.
import { decodeBase64, initRuntime, jsBuild, type InitOptions, type WasmInfo } from './wasm/index.js';
import { scalarBase64, simdBase64 } from './wasm/binaries.generated.js';

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
      scalar: () => decodeBase64(scalarBase64),
    },
    jsBuild,
  );
}
