// tfjs-prune/slim: the same API without embedded Wasm, for Cloudflare Workers (which forbid
// compiling Wasm from bytes) and pages with a strict CSP. Pass the module yourself:
//   import wasm from 'tfjs-prune/wasm/simd.wasm';  await init({ module: wasm });
// It carries no pure-JS build either (size budget: 6 KB gzip): engines without WebAssembly import
// the default entry, which falls back to it by itself.
import { initRuntime, type InitOptions, type WasmInfo } from './wasm/index.js';

export * from './public.js';

export function init(options: InitOptions = {}): Promise<WasmInfo> {
  return initRuntime(options, null);
}
