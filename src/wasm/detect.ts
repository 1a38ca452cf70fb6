// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt drop)) — validates only
// where Wasm SIMD is supported. Validation compiles nothing, so it also works where compiling
// from bytes is forbidden (Cloudflare workerd).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

export function wasmSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
}

/** Whether this runtime runs WebAssembly SIMD (128-bit). */
export function simdSupported(): boolean {
  if (!wasmSupported()) return false;
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** `x` if it is a WebAssembly.Memory, else null (for callers that look for one in other code). */
export function asMemory(x: unknown): WebAssembly.Memory | null {
  return typeof WebAssembly === 'object' && x instanceof WebAssembly.Memory ? x : null;
}
