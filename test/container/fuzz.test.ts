// Fuzzing the container reader (decompressArtifacts) with mutated containers: truncated, bits
// flipped, bytes overwritten (large varints among them), inserted or deleted — with the section
// checksums left as they are (the CRC must catch it) or recomputed after the mutation (so the
// mutation reaches the parsers behind the CRC). Every failure must be a ContainerFormatError
// naming the section and a byte offset inside the input, never another exception, a hang or a
// huge allocation.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressArtifacts, compressArtifactsReport } from '../../src/tfjs.js';
import { ContainerFormatError, decompressArtifacts, PruneError } from '../../src/load.js';
import { crc32 } from '../../src/container/format.js';
import { makeArtifacts, randn } from '../model/support.js';

/** A small model whose tensors take every layout: gaps, significance bits, all values, zero rows/columns. */
function model(): ReturnType<typeof makeArtifacts> {
  const sparse = randn(24 * 16, 1);
  for (let i = 0; i < sparse.length; i++) if (Math.abs(sparse[i]) < 0.2 || Math.floor(i / 16) % 5 === 2 || i % 16 === 7) sparse[i] = 0;
  const half = new Uint16Array(20 * 20).map((_, i) => (i % 2 ? 0x3c00 + (i % 37) : 0));
  const codes = new Uint8Array(30 * 8).map((_, i) => (i % 11 === 0 ? (i * 7) % 256 : 100));
  return makeArtifacts(
    [
      { name: 'sparse', shape: [24, 16], values: sparse },
      { name: 'dense', shape: [12], values: randn(12, 2) },
      { name: 'half', shape: [20, 20], quantization: { dtype: 'float16' }, bytes: new Uint8Array(half.buffer) },
      { name: 'codes', shape: [30, 8], quantization: { dtype: 'uint8', scale: 0.01, min: -1 }, bytes: codes },
      { name: 'ints', shape: [3], dtype: 'int32', values: Int32Array.of(1, -2, 3) },
      // 384 values: byte streams long enough for two-state rANS (stream mode 3).
      { name: 'long', shape: [24, 16], values: randn(384, 5) },
      // Six shared values: a codebook (layout bit 4).
      { name: 'shared', shape: [20, 12], values: sparse.slice(0, 240).map((v) => (v === 0 ? 0 : [-0.5, -0.25, -0.1, 0.1, 0.3, 0.7][Math.floor(Math.abs(v) * 97) % 6])) },
    ],
    { topology: { node: [] }, format: 'graph-model' },
  );
}

const RAW = compressArtifacts(model(), { json: 'raw' });
it('the fuzzed model holds a codebook', () => {
  expect(compressArtifactsReport(model()).report.tensors.find((t) => t.name === 'shared')!.codebook).toBeGreaterThan(0);
});
const DEFLATE = compressArtifacts(model());

/** Recomputes every section's CRC-32 that the framing still lets us find. */
function fixChecksums(b: Uint8Array): Uint8Array {
  let p = 8;
  while (p < b.length) {
    p++;
    let len = 0;
    let mul = 1;
    for (let i = 0; i < 7 && p < b.length; i++, mul *= 128) {
      const x = b[p++];
      len += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) break;
    }
    if (p + 4 + len > b.length) break;
    const crc = crc32(b, p + 4, p + 4 + len);
    for (let i = 0; i < 4; i++) b[p + i] = (crc >>> (8 * i)) & 0xff;
    p += 4 + len;
  }
  return b;
}

type Mutation = (b: Uint8Array) => Uint8Array;
const at = (len: number) => fc.nat({ max: len - 1 });
const mutation = (len: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    at(len).map((n) => (b: Uint8Array) => b.slice(0, n)),
    fc.array(fc.tuple(at(len), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => (b: Uint8Array) => {
      const c = b.slice();
      for (const [i, bit] of flips) c[i] ^= 1 << bit;
      return c;
    }),
    fc.tuple(at(len), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean()).map(([i, bytes, huge]) => (b: Uint8Array) => {
      const c = b.slice();
      // huge: a 7-byte varint of about 2^48 where a length or count may sit.
      c.set((huge ? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f) : bytes).subarray(0, c.length - i), i);
      return c;
    }),
    fc.tuple(at(len), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([i, bytes]) => (b: Uint8Array) => Uint8Array.of(...b.subarray(0, i), ...bytes, ...b.subarray(i))),
    fc.tuple(at(len), fc.integer({ min: 1, max: 6 })).map(([i, n]) => (b: Uint8Array) => Uint8Array.of(...b.subarray(0, i), ...b.subarray(i + n))),
  );

/** Decodes; any failure must be a ContainerFormatError with a section and an offset in the input. */
async function check(bytes: Uint8Array): Promise<'ok' | 'error'> {
  try {
    const a = await decompressArtifacts(bytes, { maxBytes: 1 << 20 });
    // What decodes is a model stock tfjs reads: every spec's bytes there, no byte left over.
    const specs = a.weightSpecs!;
    const sizes = specs.map((s) => s.shape.reduce((p, d) => p * d, 1) * (s.dtype === 'bool' ? 1 : 4));
    expect(sizes.reduce((t, n) => t + n, 0)).toBe((a.weightData as ArrayBuffer).byteLength);
    tf.dispose(Object.values(tf.io.decodeWeights(a.weightData!, specs)));
    return 'ok';
  } catch (e) {
    if (!(e instanceof ContainerFormatError)) throw e;
    expect(e).toBeInstanceOf(PruneError);
    expect(e.code).toBe('MALFORMED_CONTAINER');
    expect(e.section).toMatch(/^(input|header|model|tensor \d+( \(.*\))?)$/);
    expect(Number.isInteger(e.byteOffset) && e.byteOffset >= 0 && e.byteOffset <= bytes.length).toBe(true);
    expect(e.message).toContain(e.section);
    return 'error';
  }
}

describe('decompressArtifacts on mutated containers', () => {
  it.each([
    ['raw JSON', RAW],
    ['deflate JSON', DEFLATE],
  ])('%s: the unmutated container decodes', async (_, bytes) => {
    expect(await check(bytes)).toBe('ok');
  });

  it.each([
    ['raw JSON', RAW],
    ['deflate JSON', DEFLATE],
  ])('%s, checksums kept: every mutation is caught', async (_, bytes) => {
    await fc.assert(
      fc.asyncProperty(mutation(bytes.length), async (m) => {
        const b = m(bytes);
        // A mutation may give back the same bytes (a deletion then nothing, say).
        const same = b.length === bytes.length && b.every((x, i) => x === bytes[i]);
        expect(await check(b)).toBe(same ? 'ok' : 'error');
      }),
      { numRuns: 300, seed: 22 },
    );
  });

  it.each([
    ['raw JSON', RAW],
    ['deflate JSON', DEFLATE],
  ])('%s, checksums recomputed: the parsers behind the CRC fail cleanly', async (_, bytes) => {
    const outcomes = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(mutation(bytes.length), async (m) => {
        outcomes[await check(fixChecksums(m(bytes)))]++;
      }),
      { numRuns: 1500, seed: 22 },
    );
    // Mostly errors, but some mutations (a value byte) decode to other weights: both paths run.
    expect(outcomes.error).toBeGreaterThan(outcomes.ok);
  });

  it('a forged size (shape and count agree on 2^29 elements of nothing) is refused before allocating', async () => {
    const a = makeArtifacts([{ name: 'w', shape: [4, 4], values: new Float32Array(16) }]);
    const small = compressArtifacts(a, { json: 'raw' });
    // Re-encode by hand: JSON shape [2^14, 2^15]; tensor header count 2^29, columns 2^15.
    const text = new TextDecoder().decode(small);
    expect(text).toContain('"shape":[4,4]');
    const big = forge(small);
    await expect(decompressArtifacts(big)).rejects.toThrow(/> maxBytes/);
    await expect(decompressArtifacts(big)).rejects.toThrow(/2147483648 bytes > maxBytes 1073741824/);
  });
});

/** The 4x4 zero tensor's container rewritten to claim 16384 x 32768 zeros (valid checksums). */
function forge(b: Uint8Array): Uint8Array {
  const text = new TextDecoder('latin1').decode(b);
  const json = text.replace('"shape":[4,4]', '"shape":[16384,32768]');
  const start = json.indexOf('{');
  const end = json.lastIndexOf('}') + 1;
  const body = new TextEncoder().encode(json.slice(start, end));
  // Model section: coding 0, varint length, JSON. Tensor section: storage 0, count 2^29 (varint),
  // columns 2^15, background 0 x4, layout ALL-with-gaps (POS_GAPS << 2), value count 0, empty
  // gaps stream (raw, 0 symbols), four empty value planes.
  const varint = (v: number) => {
    const o: number[] = [];
    do {
      o.push((v % 128) | (v >= 128 ? 0x80 : 0));
      v = Math.floor(v / 128);
    } while (v > 0);
    return o;
  };
  const model = Uint8Array.of(0, ...varint(body.length), ...body);
  const tensor = Uint8Array.of(0, ...varint(2 ** 29), ...varint(2 ** 15), 0, 0, 0, 0, 2 << 2, 0, 0, 0, ...[0, 0, 0, 0, 0, 0, 0, 0]);
  const section = (kind: number, p: Uint8Array) => {
    const crc = crc32(p);
    return [kind, ...varint(p.length), crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, ...p];
  };
  return Uint8Array.of(...b.subarray(0, 6), 2, 0, ...section(1, model), ...section(2, tensor));
}
