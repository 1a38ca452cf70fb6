// init(): embedded builds, precompiled modules and bytes, the slim entry, re-initialisation, and
// the heap that hands out Wasm-held weights.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import * as slim from '../src/slim.js';
import { allocWeights, init, magnitudeMask, NaNWeightsError, nmMask, pruneByThreshold, pruneToSparsity, simdSupported, wasmInfo, WasmError } from '../src/index.js';
import { randomWeights, refPruneToSparsity, bits } from './support/reference.js';

const simdBytes = () => readFileSync(new URL('../build/simd.wasm', import.meta.url));
const scalarBytes = () => readFileSync(new URL('../build/scalar.wasm', import.meta.url));

describe('before init', () => {
  it('every kernel says to await init() first', () => {
    // The slim module has its own state only if loaded fresh; use it before any slim init.
    expect(() => slim.pruneToSparsity(new Float32Array(4), 0.5)).toThrow(WasmError);
    expect(() => slim.wasmInfo()).toThrow('wasmInfo: the Wasm kernels are not initialised; await init() first');
  });
});

describe('init', () => {
  it('picks SIMD where supported, scalar when forced', async () => {
    expect(simdSupported()).toBe(true); // Node 20
    expect((await init()).simd).toBe(true);
    expect((await init({ forceScalar: true })).simd).toBe(false);
    expect(wasmInfo().simd).toBe(false);
  });

  it('accepts a precompiled WebAssembly.Module and bytes, and reads the build from it', async () => {
    expect((await init({ module: new WebAssembly.Module(scalarBytes()) })).simd).toBe(false);
    expect((await init({ module: simdBytes() })).simd).toBe(true);
    expect((await init({ module: new Uint8Array(scalarBytes()).buffer })).simd).toBe(false);
  });

  it('rejects modules that are not ours, bad bytes and bad options', async () => {
    const other = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(init({ module: other })).rejects.toThrow(/init: module is not a tfjs-prune kernel build \(missing exports: memory, heapBase/);
    await expect(init({ module: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/init: module bytes do not compile/);
    await expect(init({ module: 'simd.wasm' as never })).rejects.toThrow(/module must be a WebAssembly.Module/);
    await expect(init({ module: simdBytes(), forceScalar: true })).rejects.toThrow(/cannot be combined with module/);
    await expect(init({ chunkLength: 1000 })).rejects.toThrow(/chunkLength must be a multiple of 16 in \[1024, 2\^28\], got 1000/);
  });

  it('the slim entry embeds nothing and asks for a module', async () => {
    await expect(slim.init()).rejects.toThrow(/the slim entry embeds no Wasm; pass \{ module \}/);
    expect((await slim.init({ module: simdBytes() })).simd).toBe(true);
    const w = randomWeights(5000, 2);
    const x = w.slice();
    slim.pruneToSparsity(x, 0.8);
    expect(bits(x)).toEqual(bits(refPruneToSparsity(w, 0.8).out));
  });

  it('re-initialising invalidates WasmWeights of the old runtime', async () => {
    await init();
    const buf = allocWeights(8);
    await init({ forceScalar: true });
    expect(() => pruneToSparsity(buf, 0.5)).toThrow(/belong to a runtime replaced by a later init\(\)/);
  });
});

describe('Wasm-held weights', () => {
  it('survive memory growth: views are rebuilt, data kept', async () => {
    await init();
    const a = allocWeights(1000);
    a.array.set(randomWeights(1000, 1));
    const before = wasmInfo().memoryBytes;
    const big = allocWeights(8_000_000); // grows memory by ~32 MB
    expect(wasmInfo().memoryBytes).toBeGreaterThan(before);
    expect(bits(a.array)).toEqual(bits(randomWeights(1000, 1)));
    big.array.set(randomWeights(8_000_000, 5));
    expect(pruneToSparsity(big, 0.9).pruned).toBe(7_200_000);
    big.free();
    a.free();
  });

  it('freed blocks are reused, adjacent ones merged', async () => {
    await init();
    const blocks = [allocWeights(100), allocWeights(100), allocWeights(100)];
    const offsets = blocks.map((b) => b.byteOffset);
    blocks[0].free();
    blocks[1].free();
    const merged = allocWeights(200); // fits only in the two merged blocks
    expect(merged.byteOffset).toBe(offsets[0]);
    const top = allocWeights(1);
    blocks[2].free();
    top.free();
    merged.free();
    expect(allocWeights(1).byteOffset).toBe(offsets[0]);
  });

  it('a Float32Array view over Wasm memory is pruned in place', async () => {
    await init();
    const buf = allocWeights(4096);
    const view = buf.array;
    view.set(randomWeights(4096, 3));
    const expected = refPruneToSparsity(view.slice(), 0.5).out;
    pruneToSparsity(view, 0.5);
    expect(bits(buf.array)).toEqual(bits(expected));
    buf.free();
  });
});

// The pure-JS fallback: chosen by itself where there is no WebAssembly (QuickJS, Hermes, ...) or
// the embedded build cannot be compiled, and on request with { backend: 'js' }. The kernel suites
// (kernels.test.ts, properties.test.ts) run it against the reference; here: when it is chosen.
describe('pure-JS fallback', () => {
  async function withoutWasm<T>(fn: () => Promise<T>): Promise<T> {
    const saved = globalThis.WebAssembly;
    // @ts-expect-error an engine without WebAssembly
    delete globalThis.WebAssembly;
    try {
      expect(typeof WebAssembly).toBe('undefined');
      return await fn();
    } finally {
      globalThis.WebAssembly = saved;
    }
  }

  it('init() falls back to it where there is no WebAssembly (the default entry; slim says to use it)', async () => {
    const info = await withoutWasm(() => init());
    expect(info).toMatchObject({ backend: 'js', simd: false, chunkLength: 65536 });
    expect(simdSupported()).toBe(true); // WebAssembly is back
    const w = randomWeights(5000, 7);
    const x = w.slice();
    pruneToSparsity(x, 0.8);
    expect(bits(x)).toEqual(bits(refPruneToSparsity(w, 0.8).out));
    await expect(withoutWasm(() => slim.init())).rejects.toThrow(
      "init: this runtime has no WebAssembly, and the slim entry carries no pure-JS build; import 'tfjs-prune', which falls back to it",
    );
    await expect(withoutWasm(() => init({ backend: 'wasm' }))).rejects.toThrow(WasmError);
    await expect(withoutWasm(() => init({ backend: 'wasm' }))).rejects.toThrow('init: this runtime has no WebAssembly');
    await expect(withoutWasm(() => slim.init({ module: new Uint8Array(8) }))).rejects.toThrow('init: this runtime has no WebAssembly');
  });

  it('init() falls back to it when the embedded build does not compile (unless backend: wasm)', async () => {
    vi.resetModules(); // a fresh copy of the library: nothing compiled yet
    const fresh = await import('../src/index.js');
    const compile = WebAssembly.compile;
    WebAssembly.compile = () => Promise.reject(new WebAssembly.CompileError('Wasm code generation disallowed by embedder'));
    try {
      await expect(fresh.init({ backend: 'wasm', forceScalar: true })).rejects.toThrow(
        /init: the embedded scalar build does not compile here: Wasm code generation disallowed/,
      );
      expect((await fresh.init({ forceScalar: true })).backend).toBe('js');
    } finally {
      WebAssembly.compile = compile;
    }
    expect(await fresh.init({ forceScalar: true })).toMatchObject({ backend: 'wasm', simd: false });
  });

  it('backend: js is chosen on request, re-initialising is free, and weights can live in its memory', async () => {
    expect(await init({ backend: 'js' })).toMatchObject({ backend: 'js', simd: false });
    const buf = allocWeights(3000);
    buf.array.set(randomWeights(3000, 9));
    await init({ backend: 'js' }); // same options: the same runtime, buf stays valid
    expect(pruneToSparsity(buf, 0.5).pruned).toBe(1500);
    const big = allocWeights(1 << 20); // the JS memory grows; earlier weights keep their values
    expect(bits(buf.array).filter((b) => b !== 0).length).toBe(1500);
    big.free();
    buf.free();
    await expect(slim.init({ backend: 'js' })).rejects.toThrow("init: the slim entry carries no pure-JS build; import 'tfjs-prune' for backend 'js'");
    await expect(init({ backend: 'js', forceScalar: true })).rejects.toThrow(/backend 'js' runs no Wasm; it cannot be combined with module or forceScalar/);
    await expect(init({ backend: 'js', module: simdBytes() })).rejects.toThrow(/cannot be combined with module/);
    await expect(init({ backend: 'gpu' as never })).rejects.toThrow("init: backend must be 'auto', 'wasm' or 'js', got gpu");
  });

  it('NaN weights throw the same NaNWeightsError on it, before anything is written', async () => {
    await init({ backend: 'js', chunkLength: 1024 });
    for (const n of [100, 5000, 200_000]) {
      const w = randomWeights(n, 3);
      w[n - 7] = NaN;
      w[n - 3] = -NaN;
      const before = bits(w);
      for (const call of [() => pruneToSparsity(w, 0.5), () => pruneByThreshold(w, 0.1), () => magnitudeMask(w, { sparsity: 0.3 }), () => nmMask(w, { n: 2, m: 4 })]) {
        expect(call).toThrow(NaNWeightsError);
        expect(call).toThrow(`weights contain 2 NaN values (first at index ${n - 7})`);
      }
      expect(bits(w)).toEqual(before);
    }
  });
});
