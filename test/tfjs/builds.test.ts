// The tensor builds (assembly/tensor.ts): what makes them safe to place on someone else's memory,
// and that the SIMD, scalar and shared-memory builds agree bit for bit with the typed-array API.
import { describe, expect, it } from 'vitest';
import { init, magnitudeMask, pruneByThreshold, pruneToSparsity, prunedCount } from '../../src/index.js';
import {
  decodeBase64,
  instantiateTensorBuild,
  sharedMemorySupported,
  simdSupported,
  type ForeignHeap,
  type TensorBuild,
} from '../../src/wasm/index.js';
import { tensorSimdBase64 } from '../../src/wasm/tensor-binaries.generated.js';
import { tensorScalarBase64 } from '../../src/wasm/tensor-scalar.generated.js';
import { tensorSharedBase64 } from '../../src/wasm/tensor-shared.generated.js';
import { expectBits, inBrowser, weights } from './support.js';

await init();

const BYTES: Record<TensorBuild, string> = { simd: tensorSimdBase64, scalar: tensorScalarBase64, shared: tensorSharedBase64 };

interface Sections {
  ids: number[];
  imports: { module: string; field: string; kind: number; shared: boolean }[];
}

// Just enough of the binary format: section ids, and the import section's entries.
function sections(bytes: Uint8Array): Sections {
  let p = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return result;
    }
  };
  const name = () => {
    const len = leb();
    const s = new TextDecoder().decode(bytes.subarray(p, p + len));
    p += len;
    return s;
  };
  const out: Sections = { ids: [], imports: [] };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    out.ids.push(id);
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        const module = name();
        const field = name();
        const kind = bytes[p++];
        let shared = false;
        if (kind === 2) {
          const flags = bytes[p++];
          shared = (flags & 2) !== 0;
          leb();
          if (flags & 1) leb();
        }
        out.imports.push({ module, field, kind, shared });
        if (kind !== 2) break; // we expect nothing else; stop parsing, the test will fail
      }
    }
    p = end;
  }
  return out;
}

describe('tensor builds are placeable on foreign memory', () => {
  it.each(['simd', 'scalar', 'shared'] as const)('%s: imports env.memory and nothing else; no data, start, global or memory section', (build) => {
    const s = sections(decodeBase64(BYTES[build]));
    expect(s.imports).toEqual([{ module: 'env', field: 'memory', kind: 2, shared: build === 'shared' }]);
    expect(s.ids).not.toContain(11); // data
    expect(s.ids).not.toContain(12); // data count
    expect(s.ids).not.toContain(8); // start
    expect(s.ids).not.toContain(6); // global: nothing to initialise, nothing shared between calls
    expect(s.ids).not.toContain(5); // memory: the module owns none
  });
});

// A bump allocator over a memory of our own, as the tfjs backends provide one.
function bumpHeap(memory: WebAssembly.Memory): ForeignHeap & { alloc(bytes: number): number } {
  let top = 1024;
  return {
    memory,
    alloc(bytes) {
      const p = top;
      top += Math.ceil(bytes / 16) * 16;
      const need = Math.ceil((top - memory.buffer.byteLength) / 65536);
      if (need > 0) memory.grow(need);
      return p;
    },
    malloc(bytes) {
      return this.alloc(bytes);
    },
    free() {},
  };
}

if (!inBrowser) {
  it('Node runs the shared-memory build', () => expect(sharedMemorySupported()).toBe(true));
}

// sharedMemorySupported() validates a tiny probe module, so that the shared build itself is only
// loaded (a lazy chunk) where it runs; the probe must say what validating the build says.
it('the shared-memory probe agrees with validating the shared build', () => {
  const build = typeof SharedArrayBuffer === 'function' && simdSupported() && WebAssembly.validate(decodeBase64(BYTES.shared) as Uint8Array<ArrayBuffer>);
  expect(sharedMemorySupported()).toBe(build);
});

const BUILDS: TensorBuild[] = sharedMemorySupported() ? ['simd', 'scalar', 'shared'] : ['simd', 'scalar'];

describe.each(BUILDS)('%s build agrees with the typed-array API', (build) => {
  const memory = build === 'shared'
    ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: 1 });

  it.each([0, 1, 5, 16, 17, 1000, 70_001])('n = %i', async (n) => {
    const k = await instantiateTensorBuild(build, memory);
    const heap = bumpHeap(memory);
    const vals = weights(n, n + 3);
    const src = heap.alloc(n * 4);
    const dst = heap.alloc(n * 4);
    const put = () => k.f32.set(vals, src >>> 2);
    const get = () => k.f32.slice(dst >>> 2, (dst >>> 2) + n);
    put();
    for (const sparsity of [0, 0.25, 0.5, 0.9, 1]) {
      const count = prunedCount(sparsity, n);
      const ref = vals.slice();
      pruneToSparsity(ref, sparsity);
      const refMask = Float32Array.from(magnitudeMask(vals, { sparsity }));
      const sel = count === 0 ? { bits: 0, need: 0 } : k.select(heap, src, n, count);
      expect(sel).not.toBeNull();
      const { bits, need } = sel!;
      if (bits === 0) k.ex.pruneAboveTo(src, dst, n, 0);
      else k.ex.pruneSelectTo(src, dst, n, bits, need);
      expectBits(get(), ref);
      if (bits === 0) k.ex.maskAboveF32(src, dst, n, 0);
      else k.ex.maskSelectF32(src, dst, n, bits, need);
      expectBits(get(), refMask);
      // in place (dst == src) gives the same
      if (bits === 0) k.ex.pruneAboveTo(src, src, n, 0);
      else k.ex.pruneSelectTo(src, src, n, bits, need);
      expectBits(k.f32.slice(src >>> 2, (src >>> 2) + n), ref);
      put();
    }
    const ref = vals.slice();
    pruneByThreshold(ref, 0.125);
    k.ex.pruneAboveTo(src, dst, n, 0x3e000000); // 0.125f
    expectBits(get(), ref);
    // applyMask, 8- and 32-bit masks
    const mask8 = heap.alloc(n);
    const mask32 = heap.alloc(n * 4);
    for (let i = 0; i < n; i++) {
      k.u8[mask8 + i] = i % 3 ? 1 : 0;
      k.f32[(mask32 >>> 2) + i] = i % 3 ? -2 : -0;
    }
    const refMasked = Float32Array.from(vals, (v, i) => (i % 3 ? v : 0));
    k.ex.applyMask8To(src, mask8, dst, n);
    expectBits(get(), refMasked);
    k.ex.applyMask32To(src, mask32, dst, n, 0x7fffffff);
    expectBits(get(), refMasked);
    expect(k.findNaN(src, n)).toBeNull();
    // The threshold kernels count NaN (their callers' only NaN check) and copy it through.
    expect(k.ex.pruneAboveTo(src, dst, n, 0)).toBe(0);
    expect(k.ex.maskAboveF32(src, dst, n, 0)).toBe(0);
    if (n > 0) {
      for (let i = 0; i < n; i += 7) k.f32[(src >>> 2) + i] = i % 2 ? NaN : -NaN;
      const nans = Math.ceil(n / 7);
      expect(k.ex.pruneAboveTo(src, dst, n, 0x3e000000)).toBe(nans);
      expect(Number.isNaN(get()[0])).toBe(true);
      expect(k.ex.maskAboveF32(src, dst, n, 0x3e000000)).toBe(nans);
      expect(k.findNaN(src, n)).toEqual({ count: nans, first: 0 });
    }
  });
});
