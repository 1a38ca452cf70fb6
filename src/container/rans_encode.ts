// The encoding half of the container's entropy coder (the decoder is rans.ts): each byte stream
// is written in whichever of its three modes is smallest, rANS at whichever scale (2^8..2^15)
// gives the fewest bytes with its table counted.
import { MAX_SCALE_BITS, MIN_SCALE_BITS, RANS_L, STREAM_CONST, STREAM_RANS, STREAM_RANS2, STREAM_RAW, RANS2_MIN } from './format.js';
import { ByteWriter } from './writer.js';

/** The stream for `syms`, in its smallest mode. */
export function encodeStream(syms: Uint8Array): Uint8Array {
  const n = syms.length;
  const counts = new Float64Array(256);
  for (let i = 0; i < n; i++) counts[syms[i]]++;
  let m = 0;
  for (let s = 0; s < 256; s++) if (counts[s] > 0) m++;
  const w = new ByteWriter(16);
  if (m <= 1) {
    w.u8(n === 0 ? STREAM_RAW : STREAM_CONST);
    w.varint(n);
    if (n > 0) w.u8(syms[0]);
    return w.finish();
  }
  let best: { scaleBits: number; freq: Uint32Array; bytes: number } | null = null;
  // The scale by a quick estimate, then the frequencies refined at that scale only.
  for (let scaleBits = MIN_SCALE_BITS; scaleBits <= MAX_SCALE_BITS; scaleBits++) {
    const freq = normalize(counts, n, scaleBits, false);
    const bytes = tableBytes(freq, m) + Math.ceil(codeBits(counts, freq, scaleBits) / 8) + 4;
    if (best === null || bytes < best.bytes) best = { scaleBits, freq, bytes };
  }
  if (best !== null) {
    const freq = normalize(counts, n, best.scaleBits);
    best = { scaleBits: best.scaleBits, freq, bytes: tableBytes(freq, m) + Math.ceil(codeBits(counts, freq, best.scaleBits) / 8) + 4 };
  }
  // rANS must save 2% over raw, which decodes for free (a view): mantissa bytes stay raw.
  if (best === null || best.bytes + 4 >= n * 0.98) return rawStream(syms);
  const two = n >= RANS2_MIN;
  const coded = ransEncode(syms, best.freq, best.scaleBits, two);
  // Rarely, the estimate (a lower bound up to rounding) misjudges raw against rANS.
  if (coded.length + 8 + tableBytes(best.freq, m) >= n + 2) return rawStream(syms);
  w.u8(two ? STREAM_RANS2 : STREAM_RANS);
  w.varint(n);
  writeTable(w, best.freq, m, best.scaleBits);
  w.varint(coded.length);
  w.bytes(coded);
  return w.finish();
}

function rawStream(syms: Uint8Array): Uint8Array {
  const w = new ByteWriter(syms.length + 8);
  w.u8(STREAM_RAW);
  w.varint(syms.length);
  w.bytes(syms);
  return w.finish();
}

/**
 * Frequencies summing to 2^scaleBits, each present symbol at least 1: rounded shares, then the
 * remainder given or taken one at a time where it costs the fewest bits.
 */
export function normalize(counts: Float64Array, n: number, scaleBits: number, refine = true): Uint32Array {
  const total = 1 << scaleBits;
  const freq = new Uint32Array(256);
  const present: number[] = [];
  let sum = 0;
  let largest = -1;
  for (let s = 0; s < 256; s++) {
    if (counts[s] === 0) continue;
    present.push(s);
    freq[s] = Math.max(1, Math.round((counts[s] * total) / n));
    sum += freq[s];
    if (largest < 0 || counts[s] > counts[largest]) largest = s;
  }
  if (!refine && freq[largest] + total - sum >= 1) {
    // A quick estimate: the remainder on the commonest symbol.
    freq[largest] += total - sum;
    return freq;
  }
  while (sum !== total) {
    const up = sum < total;
    let pick = -1;
    let bestCost = Infinity;
    for (const s of present) {
      const f = freq[s];
      if (!up && f === 1) continue;
      // Bits added to the stream by the change (negative: saved).
      const cost = up ? -counts[s] * Math.log2((f + 1) / f) : counts[s] * Math.log2(f / (f - 1));
      if (cost < bestCost) {
        bestCost = cost;
        pick = s;
      }
    }
    freq[pick] += up ? 1 : -1;
    sum += up ? 1 : -1;
  }
  return freq;
}

function codeBits(counts: Float64Array, freq: Uint32Array, scaleBits: number): number {
  let bits = 0;
  for (let s = 0; s < 256; s++) if (counts[s] > 0) bits += counts[s] * (scaleBits - Math.log2(freq[s]));
  return bits;
}

const varintBytes = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : 3);

function tableBytes(freq: Uint32Array, m: number): number {
  let bytes = 2 + (m < 32 ? m : 32);
  let k = 0;
  for (let s = 0; s < 256; s++) if (freq[s] > 0 && ++k < m) bytes += varintBytes(freq[s] - 1);
  return bytes;
}

function writeTable(w: ByteWriter, freq: Uint32Array, m: number, scaleBits: number): void {
  w.u8(scaleBits);
  w.u8(m - 1);
  if (m < 32) {
    for (let s = 0; s < 256; s++) if (freq[s] > 0) w.u8(s);
  } else {
    const bitmap = new Uint8Array(32);
    for (let s = 0; s < 256; s++) if (freq[s] > 0) bitmap[s >> 3] |= 1 << (s & 7);
    w.bytes(bitmap);
  }
  let k = 0;
  for (let s = 0; s < 256; s++) if (freq[s] > 0 && ++k < m) w.varint(freq[s] - 1);
}

/**
 * rANS-codes `syms` (last symbol first, bytes written backwards): state(s), then renorm bytes. With
 * `two`, symbol i goes through state i mod 2, and both final states are written (state 0 first).
 */
export function ransEncode(syms: Uint8Array, freq: Uint32Array, scaleBits: number, two = false): Uint8Array {
  const start = new Uint32Array(256);
  for (let s = 1; s < 256; s++) start[s] = start[s - 1] + freq[s - 1];
  const buf = new Uint8Array(Math.ceil((syms.length * scaleBits) / 8) + 24);
  let p = buf.length;
  const xs = [RANS_L, RANS_L];
  const xMaxUnit = (RANS_L >>> scaleBits) << 8;
  for (let i = syms.length - 1; i >= 0; i--) {
    const s = syms[i];
    const f = freq[s];
    const xMax = xMaxUnit * f;
    const j = two ? i & 1 : 0;
    let x = xs[j];
    while (x >= xMax) {
      buf[--p] = x & 0xff;
      x >>>= 8;
    }
    xs[j] = Math.floor(x / f) * (1 << scaleBits) + (x % f) + start[s];
  }
  for (const x of two ? [xs[1], xs[0]] : [xs[0]]) {
    buf[--p] = x >>> 24;
    buf[--p] = (x >>> 16) & 0xff;
    buf[--p] = (x >>> 8) & 0xff;
    buf[--p] = x & 0xff;
  }
  return buf.subarray(p);
}
