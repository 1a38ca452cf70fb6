// The containers' CRC-32 (slicing-by-4 in src/container/format.ts) is the standard one: zlib's,
// at every start offset and length (the word loop and the byte tail), not only self-consistent.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/container/format.js';

describe('crc32', () => {
  it('gives the check value of CRC-32/ISO-HDLC and zlib.crc32 for every offset and length', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 13);
    for (let start = 0; start < 8; start++) {
      for (let end = start; end <= bytes.length; end += 1 + (end >> 4)) {
        expect(crc32(bytes, start, end)).toBe(zlibCrc32(bytes.subarray(start, end)));
      }
    }
  });
});
