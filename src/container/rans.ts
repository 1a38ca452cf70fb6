// The decoding half of the container's entropy coder: byte streams that are raw, one repeated
// symbol, or static-frequency rANS (after ryg_rans' rans_byte: 32-bit state in [2^23, 2^31),
// byte-wise renormalisation, frequencies summing to 2^scaleBits). Layout in docs/container.md.
import { le32, MAX_SCALE_BITS, MIN_SCALE_BITS, RANS_L, STREAM_CONST, STREAM_RANS, STREAM_RANS2, STREAM_RAW, type Reader } from './format.js';

/**
 * Reads one byte stream of `n` symbols, where `n` is either known (`exact`) or at most `max`.
 * A raw stream is returned as a view into the container (read-only by convention).
 */
export function readStream(r: Reader, what: string, exact: number | null, max: number): Uint8Array {
  const at = r.pos;
  const mode = r.u8();
  const n = r.varint(`${what} count`, exact ?? max);
  if (exact !== null && n !== exact) r.fail(`${what}: ${n} symbols, not ${exact}`, at);
  if (mode === STREAM_RAW) return r.take(n);
  if (mode === STREAM_CONST) return new Uint8Array(n).fill(r.u8());
  if (mode !== STREAM_RANS && mode !== STREAM_RANS2) r.fail(`${what}: mode ${mode}`, at);
  return ransDecode(r, n, what, mode === STREAM_RANS2);
}

/**
 * A frequency table, per slot of [0, 2^scaleBits): its symbol (`sym`), and in `fb` the symbol's
 * frequency << 16 | the slot's offset within it (one load in the decoding loop, not two).
 */
function readTable(r: Reader, what: string): [number, Uint8Array, Uint32Array] {
  const scaleBits = r.u8();
  if (scaleBits < MIN_SCALE_BITS || scaleBits > MAX_SCALE_BITS) r.fail(`${what}: table scale`, r.pos - 1);
  const total = 1 << scaleBits;
  const m = r.u8() + 1;
  const syms = new Uint8Array(m);
  if (m < 32) {
    for (let i = 0, prev = -1; i < m; i++) {
      const s = r.u8();
      if (s <= prev) r.fail(`${what}: table symbols`, r.pos - 1);
      syms[i] = prev = s;
    }
  } else {
    const bitmap = r.take(32);
    let k = 0;
    for (let s = 0; s < 256; s++) if ((bitmap[s >> 3] >> (s & 7)) & 1 && k++ < m) syms[k - 1] = s;
    if (k !== m) r.fail(`${what}: table bitmap`, r.pos - 32);
  }
  const sym = new Uint8Array(total);
  const fb = new Uint32Array(total);
  for (let i = 0, start = 0; i < m; i++) {
    const f = i < m - 1 ? r.varint(what, total) + 1 : total - start;
    if (start + f > total || f < 1) r.fail(`${what}: table frequencies`, r.pos - 1);
    sym.fill(syms[i], start, start + f);
    for (let j = 0; j < f; j++) fb[start++] = (f << 16) | j;
  }
  return [scaleBits, sym, fb];
}

function ransDecode(r: Reader, n: number, what: string, two: boolean): Uint8Array {
  const [scaleBits, sym, fb] = readTable(r, what);
  const len = r.varint(what, r.end - r.pos);
  const base = r.pos;
  const data = r.take(len);
  // One state, or two: the second starts at byte 4 and symbols alternate between them.
  let p = two ? 8 : 4;
  // Bytes past a short stream read as 0 (undefined | 0): the checks below or after the loop fail.
  let x = le32(data, 0);
  let y = two ? le32(data, 4) : RANS_L;
  // Both in [2^23, 2^31): bit 31 of either makes x | y negative.
  if ((x | y) < 0 || x < RANS_L || y < RANS_L) r.fail(`${what}: rANS state`, base);
  const mask = (1 << scaleBits) - 1;
  const out = new Uint8Array(n);
  // Reads past the end give 0 (undefined | 0) and leave p > len: caught after the loop. The loop
  // ends (n symbols) and renormalisation does too: x >= 2^23 >> 15 after every step.
  for (let i = 0; i < n; i++) {
    const slot = x & mask;
    const e = fb[slot];
    out[i] = sym[slot];
    x = Math.imul(e >>> 16, x >>> scaleBits) + (e & 0xffff);
    while (x < RANS_L) x = (x << 8) | data[p++];
    // A swap through a temporary: 6-10% faster in V8 than [x, y] = [y, x] (bench/README.md).
    if (two) {
      const t = x;
      x = y;
      y = t;
    }
  }
  if (x !== RANS_L || y !== RANS_L || p !== len) r.fail(`${what}: rANS stream ends wrong`, base + Math.min(p, len));
  return out;
}
