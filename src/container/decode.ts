// decompressArtifacts: a container (docs/container.md) back into tf.io.ModelArtifacts with plain
// float32 weights (int32 for quantized int32 tensors; other dtypes as stored), which stock tfjs
// loads. Imports nothing but the error classes and types: this is the `tfjs-prune/load` entry.
import type { io } from '@tensorflow/tfjs-core';
import { ContainerFormatError } from '../errors.js';
import { CODEBOOK, crc32, JSON_DEFLATE, MAX_CODEBOOK, JSON_RAW, le32, MAGIC_LE32, POS_ALL, POS_BITS, POS_GAPS, Reader, ST_FLOAT16, ST_RAW, ST_UINT8, VALUE_BYTES, VERSION, ZERO_COLS, ZERO_ROWS } from './format.js';
import { readStream } from './rans.js';
import { checkSpecs, expectedStorage, type Spec } from './specs.js';

export interface DecompressOptions {
  /** Largest weight data to allocate, in bytes (default 1 GiB): a guard against a forged size. */
  maxBytes?: number;
}

/** Decodes a container into ModelArtifacts; every malformed input is a ContainerFormatError. */
export async function decompressArtifacts(bytes: Uint8Array | ArrayBuffer, options: DecompressOptions = {}): Promise<io.ModelArtifacts> {
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) throw new ContainerFormatError('decompressArtifacts: bytes must be a Uint8Array or an ArrayBuffer', 'input', 0);
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const sections = readSections(buf);
  const model = await readModel(sections[0]);
  const specs = checkSpecs(model.weightSpecs, sections[0]);
  if (sections.length !== specs.length + 1) sections[0].fail(`${sections.length - 1} tensor sections for ${specs.length} specs`);

  // Pass 1: every tensor's head, so the output is allocated once, at its checked size.
  const heads = specs.map((s, i) => readHead(sections[i + 1], s));
  const total = heads.reduce((t, h) => t + h.outBytes, 0);
  const maxBytes = options.maxBytes ?? 2 ** 30;
  if (total > maxBytes) sections[0].fail(`weights need ${total} bytes > maxBytes ${maxBytes}`);
  const out = new ArrayBuffer(total);
  let offset = 0;
  for (const h of heads) {
    decodeTensor(h, out, offset);
    offset += h.outBytes;
  }
  // The JSON's other fields are the artifacts' (the encoder writes only ModelArtifacts fields).
  return { ...model, weightSpecs: heads.map((h) => h.outSpec), weightData: out };
}

/** Checks the header and every section's framing and CRC; one Reader per section. */
function readSections(buf: Uint8Array): Reader[] {
  const r = new Reader(buf, 0, buf.length, 'header');
  if (le32(buf, 0) !== MAGIC_LE32) r.fail('not a tfjs-prune container (magic number)', 0);
  const [version, flags, lo, hi] = r.take(8).subarray(4);
  if (version !== VERSION) r.fail(`version ${version} (reads ${VERSION})`, 4);
  if (flags) r.fail('flags not 0', 5);
  const sections: Reader[] = [];
  for (let i = 0; i < (lo | (hi << 8)); i++) {
    const at = r.pos;
    const kind = r.u8();
    if (kind !== (i ? 2 : 1)) r.fail(`section ${i} has kind ${kind}`, at);
    const length = r.varint('section length', buf.length);
    const crc = le32(r.take(4), 0);
    const start = r.pos;
    r.take(length);
    const s = new Reader(buf, start, start + length, i ? `tensor ${i - 1}` : 'model');
    if (crc32(buf, start, start + length) !== crc) s.fail('CRC-32 mismatch', start);
    sections.push(s);
  }
  if (!sections.length) r.fail('no model section');
  if (r.pos !== buf.length) r.fail(`${buf.length - r.pos} bytes after the last section`);
  return sections;
}

async function readModel(r: Reader): Promise<Record<string, unknown>> {
  const coding = r.u8();
  const length = r.varint('JSON length', 2 ** 30);
  // deflate expands at most 1032:1: a larger declared length is a forgery, refused before allocating.
  if (coding === JSON_DEFLATE && length > (r.end - r.pos) * 1032 + 64) r.fail(`JSON length ${length} > deflate's 1032:1`);
  const text = coding === JSON_RAW ? r.take(length) : coding === JSON_DEFLATE ? await inflateRaw(r.take(r.end - r.pos), length, r) : r.fail(`JSON coding ${coding}`);
  if (text.length !== length || r.pos !== r.end) r.fail(`JSON length ${text.length}, not ${length}`);
  let model: unknown;
  try {
    // UTF-8 by TextDecoder, else (QuickJS) by decodeURIComponent; both throw on malformed input.
    let latin1 = '';
    if (typeof TextDecoder == 'function') latin1 = new TextDecoder(undefined, { fatal: true }).decode(text);
    else {
      for (let i = 0; i < text.length; i += 4096) latin1 += String.fromCharCode(...text.subarray(i, i + 4096));
      latin1 = decodeURIComponent(escape(latin1));
    }
    model = JSON.parse(latin1);
  } catch (e) {
    r.fail(`model JSON: ${(e as Error).message}`);
  }
  if (model === null || typeof model !== 'object') r.fail('model JSON not an object');
  return model as Record<string, unknown>;
}

/** deflate-raw through the platform's DecompressionStream, stopping once past `max` bytes. */
async function inflateRaw(data: Uint8Array, max: number, r: Reader): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') r.fail('no DecompressionStream here: encode with { json: "raw" }');
  const ds = new DecompressionStream('deflate-raw');
  const w = ds.writable.getWriter();
  // Their failures surface in read(): these rejections are only silenced.
  w.write(data as Uint8Array<ArrayBuffer>).catch(ignore);
  w.close().catch(ignore);
  const reader = ds.readable.getReader();
  const text = new Uint8Array(max + 1);
  let n = 0;
  for (;;) {
    const step = await reader.read().catch(() => r.fail('corrupt deflate data'));
    if (step.done) return text.subarray(0, n);
    if (n + step.value.length > max) {
      reader.cancel().catch(ignore);
      r.fail(`JSON inflates past ${max} bytes`);
    }
    text.set(step.value, n);
    n += step.value.length;
  }
}

const ignore = (): void => {};

/** What pass 1 learns of a tensor section. */
interface Head {
  r: Reader;
  spec: Spec;
  storage: number;
  n: number;
  outBytes: number;
  outSpec: io.WeightsManifestEntry;
}

function readHead(r: Reader, spec: Spec): Head {
  r.section += ` (${spec.name})`;
  const storage = r.u8();
  if (storage !== expectedStorage(spec)) r.fail(`storage ${storage} does not fit the spec`);
  const n = r.varint('count', 2 ** 40);
  if (storage === ST_RAW) {
    if (spec.bytesPer > 0 && n !== spec.size * spec.bytesPer) r.fail(`${n} bytes for ${spec.size} ${spec.dtype}`);
    return { r, spec, storage, n, outBytes: n, outSpec: spec.raw };
  }
  if (n !== spec.size) r.fail(`${n} elements for shape [${spec.shape}]`);
  const { quantization, ...plain } = spec.raw;
  return { r, spec, storage, n, outBytes: 4 * n, outSpec: { ...plain, dtype: spec.dtype === 'int32' ? 'int32' : 'float32' } };
}

function decodeTensor({ r, spec, storage, n }: Head, out: ArrayBuffer, offset: number): void {
  if (storage === ST_RAW) {
    new Uint8Array(out, offset, n).set(r.take(n));
    return end(r);
  }
  const k = VALUE_BYTES[storage];
  const cols = r.varint('columns', n);
  // cols divides n (and is 0 only for an empty tensor).
  if (n ? !cols || n % cols : cols) r.fail(`${cols} columns for ${n} elements`);
  const rows = cols && n / cols;
  const bg = r.take(k);
  const layout = r.u8();
  const pos = (layout >> 2) & 3;
  if (layout > 31 || pos > POS_GAPS) r.fail(`layout ${layout}`, r.pos - 1);
  const liveRows = layout & ZERO_ROWS ? readLive(r, rows) : null;
  const liveCols = layout & ZERO_COLS ? readLive(r, cols) : null;
  const live = (liveRows ? liveRows.length : rows) * (liveCols ? liveCols.length : cols);
  const nnz = r.varint('values', live);
  if (pos === POS_ALL && nnz !== live) r.fail(`${nnz} values for ${live} live elements`);
  const toBits = (c: Uint32Array) => valueBits(storage, spec, c);
  // What each code decodes to, as a table: a codebook's entries, every uint8 code, every half.
  const book = layout & CODEBOOK ? r.varint('codebook', MAX_CODEBOOK) : -1;
  const lut = book >= 0 ? toBits(Uint32Array.from({ length: book }, () => code(r.take(k)))) : storage === ST_UINT8 ? toBits(range(256)) : storage === ST_FLOAT16 ? half() : null;
  const positions = pos === POS_BITS ? readStream(r, 'bits', Math.ceil(live / 8), 0) : pos === POS_GAPS ? readStream(r, 'gaps', null, nnz + live / 255 + 1) : null;
  const dst = offset % 4 ? new Uint32Array(n) : new Uint32Array(out, offset, n);
  // Values land in live order: in the output itself when every element is live, else in a
  // buffer of the live elements that is then expanded into the output.
  const mapped = liveRows || liveCols;
  const liveBuf = mapped ? new Uint32Array(live) : dst;
  const vals = positions ? new Uint32Array(nnz) : liveBuf;
  const planes = book > 256 ? 2 : book < 0 ? k : 1;
  for (let j = 0; j < planes; j++) {
    const p = readStream(r, `byte ${planes - 1 - j}`, nnz, 0);
    if (j) for (let i = 0; i < nnz; i++) vals[i] = (vals[i] << 8) | p[i];
    else vals.set(p);
  }
  end(r);

  if (lut) for (let i = 0; i < nnz; i++) vals[i] = lut[vals[i]] ?? r.fail(`codebook index ${vals[i]}`);
  else toBits(vals);
  // A fresh buffer is already +0 everywhere: filling is needed only for another background.
  const fill = toBits(Uint32Array.of(code(bg)))[0];
  if (positions) {
    if (fill) liveBuf.fill(fill);
    scatter(r, liveBuf, vals, positions, pos === POS_GAPS);
  }
  if (mapped) {
    if (fill) dst.fill(fill);
    const rs = liveRows ?? range(rows);
    const cs = liveCols ?? range(cols);
    for (let i = 0, l = 0; i < rs.length; i++) {
      for (let j = 0, o = rs[i] * cols; j < cs.length; j++) dst[o + cs[j]] = liveBuf[l++];
    }
  }
  if (dst.buffer !== out) new Uint8Array(out, offset, 4 * n).set(new Uint8Array(dst.buffer));
}

/** A little-endian code of 1, 2 or 4 bytes. */
const code = (b: Uint8Array): number => b.reduceRight((x, v) => x * 256 + v, 0);

function end(r: Reader): void {
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} bytes left over`);
}

function range(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => i);
}

/** Indices of the rows (or columns) not marked all-background in a bitmap of `n` bits. */
function readLive(r: Reader, n: number): Uint32Array {
  const bitmap = r.take(Math.ceil(n / 8));
  if (n % 8 && bitmap[bitmap.length - 1] >> n % 8) r.fail('bitmap padding not 0', r.pos - 1);
  return range(n).filter((i) => !((bitmap[i >> 3] >> (i & 7)) & 1));
}

let halfBits: Uint32Array | null = null;

const half = (): Uint32Array => (halfBits ??= makeHalfBits());

/**
 * Maps codes, in place, to the bits of what stock tfjs decodes them to (float32: as they are;
 * float16: by the table of every half; affine codes: q * scale + min, rounded for int32).
 */
function valueBits(storage: number, spec: Spec, c: Uint32Array): Uint32Array {
  const { scale, min } = (spec.quantization ?? {}) as { scale: number; min: number };
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let i = 0; storage && i < c.length; i++) {
    if (storage === ST_FLOAT16) c[i] = half()[c[i]];
    // An int32 is stored as its two's complement bits: what a Uint32Array store makes of it.
    else if (spec.dtype === 'int32') c[i] = Math.round(c[i] * scale + min);
    else {
      f[0] = c[i] * scale + min;
      c[i] = bits[0];
    }
  }
  return c;
}

/**
 * float32 bits of every half (tfjs' getFloat16Decoder gives the same, subnormals included): the
 * half's exponent and mantissa shifted into place, times 2^112 (the exponent bias 15 → 127, exact;
 * a subnormal half lands in float32's subnormals and comes out normalised), with exponent 31
 * (Inf, NaN) made 255 and the sign put back.
 */
function makeHalfBits(): Uint32Array {
  const t = new Uint32Array(65536);
  const f = new Float32Array(t.buffer);
  for (let x = 0; x < 65536; x++) {
    t[x] = (x & 0x7fff) << 13;
    f[x] *= 2 ** 112;
    t[x] |= ((x & 0x7c00) === 0x7c00 ? 0x7f800000 : 0) | ((x & 0x8000) << 16);
  }
  return t;
}

/**
 * Writes the values where the significance bits or gaps put them among the live elements (`dst`).
 * Writes past the end are dropped by the typed array and caught by the checks after the loop.
 */
function scatter(r: Reader, dst: Uint32Array, vals: Uint32Array, s: Uint8Array, gaps: boolean): void {
  const live = dst.length;
  let v = 0;
  let l = 0;
  if (gaps) {
    for (let i = 0; i < s.length; i++) {
      l += s[i];
      if (s[i] < 255) dst[l++] = vals[v++];
    }
    // A dangling 255 fails: it is not followed by a value.
    if (s[s.length - 1] === 255) l = live + 1;
  } else {
    for (let i = 0; i < s.length; i++) {
      for (let b = s[i]; b; b &= b - 1) dst[i * 8 + 31 - Math.clz32(b & -b)] = vals[v++];
    }
    // Padding bits past `live` must be 0.
    if (live % 8 && s[s.length - 1] >> live % 8) l = live + 1;
  }
  if (l > live || v !== vals.length) r.fail('positions and values disagree');
}
