// tfjs-backend-wasm on Cloudflare Workers (the recipe in docs/runtimes.md, pasted into the workerd script
// of runtimes-tfjs.test.ts). tfjs-backend-wasm 4.22 fetches its binary and compiles the bytes,
// which workerd forbids; a worker may only instantiate a precompiled WebAssembly.Module (what
// importing a .wasm file gives it). With `setWasmPaths(prefix, true)` tfjs-backend-wasm fetches
// through tfjs' platform and calls WebAssembly.instantiate(bytes, imports): for the duration of
// tf.setBackend('wasm') this answers that fetch with a marker and instantiates `module` instead.
// Single-threaded build only (workers have no threads): pass tfjs-backend-wasm-simd.wasm (or
// tfjs-backend-wasm.wasm). Returns what tf.setBackend returns.
async function setWasmBackendModule(tf, setWasmPaths, module) {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths('precompiled:', true);
  const marker = new ArrayBuffer(0);
  const platform = tf.env().platform;
  const { fetch } = platform;
  const { instantiate } = WebAssembly;
  platform.fetch = (url, init) =>
    String(url).startsWith('precompiled:') ? Promise.resolve({ ok: true, arrayBuffer: async () => marker }) : fetch.call(platform, url, init);
  WebAssembly.instantiate = (source, imports) =>
    source === marker ? instantiate(module, imports).then((instance) => ({ instance, module })) : instantiate(source, imports);
  try {
    return await tf.setBackend('wasm');
  } finally {
    platform.fetch = fetch;
    WebAssembly.instantiate = instantiate;
  }
}
