// The container's constants (docs/container.md is the specification) and the bounds-checked
// reader the decoder uses: every length and count is checked against the bytes that remain
// before it is trusted, and every failure is a ContainerFormatError naming section and offset.
import { ContainerFormatError } from '../errors.js';

/** 0x89 'T' 'P' 'Z': a non-ASCII first byte, so a text-mode transfer or a JSON file is caught. */
export const MAGIC = [0x89, 0x54, 0x50, 0x5a] as const;
/** MAGIC as le32 reads it (one comparison in the decoder). */
export const MAGIC_LE32 = 0x5a505489;
export const VERSION = 1;
export const HEADER_BYTES = 8;

export const SECTION_MODEL = 1;
export const SECTION_TENSOR = 2;

/** How a tensor's values are held: the model's own storage, so decoding is lossless. */
export const ST_FLOAT32 = 0;
export const ST_FLOAT16 = 1;
export const ST_UINT8 = 2;
export const ST_UINT16 = 3;
/** Bytes copied through (int32, bool, string, complex64 tensors). */
export const ST_RAW = 4;
/** Bytes per value of storages 0..3. */
export const VALUE_BYTES = [4, 2, 1, 2] as const;

/** Layout byte: bit 0 zero rows listed, bit 1 zero columns listed, bits 2-3 the position coding. */
export const ZERO_ROWS = 1;
export const ZERO_COLS = 2;
/** Every live element is a coded value (no position stream). */
export const POS_ALL = 0;
/** One significance bit per live element, 8 to a symbol. */
export const POS_BITS = 1;
/** Gaps between values, in base-255 digits (255 = "add 255, continue"). */
export const POS_GAPS = 2;
/**
 * Layout bit 4: the values are indices into a table of at most 65536 codes (a codebook: shared
 * values, lossless when the tensor has few distinct values, or k-means centroids on request).
 */
export const CODEBOOK = 16;
export const MAX_CODEBOOK = 65536;

/** Byte-stream modes. */
export const STREAM_RAW = 0;
export const STREAM_CONST = 1;
export const STREAM_RANS = 2;
/** rANS with two interleaved states (symbol i uses state i mod 2): two dependency chains per loop. */
export const STREAM_RANS2 = 3;
/** Streams shorter than this keep one state (the second costs 4 bytes). */
export const RANS2_MIN = 256;

/** rANS: state in [RANS_L, RANS_L * 256), renormalised a byte at a time (ryg_rans' rans_byte). */
export const RANS_L = 1 << 23;
export const MIN_SCALE_BITS = 8;
export const MAX_SCALE_BITS = 15;

/** Model section coding. */
export const JSON_RAW = 0;
export const JSON_DEFLATE = 1;

let crcTable: Int32Array | null = null;

/** CRC-32 (IEEE 802.3, the polynomial of zlib and PNG) of bytes[start, end), 4 bytes a step. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (crcTable ??= makeCrcTable());
  let c = -1;
  let i = start;
  for (; i < end - 3; i += 4) {
    c ^= le32(bytes, i);
    c = t[768 + (c & 255)] ^ t[512 + ((c >> 8) & 255)] ^ t[256 + ((c >> 16) & 255)] ^ t[c >>> 24];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Slicing-by-4 tables: t[256 k + b] is the CRC state after byte b and k zero bytes (each zero
 * byte is 8 more steps of the bitwise division).
 */
function makeCrcTable(): Int32Array {
  const t = new Int32Array(1024);
  for (let n = 0; n < 1024; n++) {
    let c = n < 256 ? n : t[n - 256];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** The unsigned 32-bit little-endian integer at b[i]. */
export const le32 = (b: Uint8Array, i: number): number => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** Reads a section of the container; `end` is the section's end, never read past. */
export class Reader {
  declare readonly bytes: Uint8Array;
  declare pos: number;
  declare readonly end: number;
  declare section: string;
  constructor(bytes: Uint8Array, pos: number, end: number, section: string) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
    this.section = section;
  }

  fail(message: string, at = this.pos): never {
    throw new ContainerFormatError(`decompressArtifacts: ${message}`, this.section, at);
  }

  /** The next n bytes, as a view. */
  take(n: number): Uint8Array {
    if (n > this.end - this.pos) this.fail(`truncated: ${n} bytes > ${this.end - this.pos} left`);
    return this.bytes.subarray(this.pos, (this.pos += n));
  }

  u8(): number {
    return this.take(1)[0];
  }

  /** Unsigned LEB128 of at most 7 bytes (below 2^49), checked against `max`. */
  varint(what: string, max: number): number {
    const at = this.pos;
    let v = 0;
    for (let i = 0, mul = 1, b = 128; b & 128; i++, mul *= 128) {
      if (i === 7) this.fail(`${what}: varint over 7 bytes`, at);
      b = this.u8();
      v += (b & 127) * mul;
    }
    if (v > max) this.fail(`${what} ${v} > ${max}`, at);
    return v;
  }
}
