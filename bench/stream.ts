// The memory ceiling for the core benchmark: one read and one write of every v128 of a buffer,
// with one ALU op in between, unrolled like the fused prune kernel (assembly/index.ts
// `pruneAbove`). `key` is a run-time value (the bench passes 0) so the compiler cannot drop the
// store as a no-op. Built by bench/core.mjs into bench/.tmp/stream.wasm.
export function stream(ptr: usize, n: u32, key: u32): void {
  const k = i32x4.splat(key);
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) {
    const p = ptr + (<usize>i << 2);
    v128.store(p, v128.xor(v128.load(p), k));
    v128.store(p, v128.xor(v128.load(p, 16), k), 16);
  }
  for (; i < n; i++) {
    const p = ptr + (<usize>i << 2);
    store<u32>(p, load<u32>(p) ^ key);
  }
}
