// decompressArtifacts: a container (docs/container.md) back into tf.io.ModelArtifacts with plain
// float32 weights (int32 for quantized int32 tensors; other dtypes as stored), which stock tfjs
// loads. Imports nothing but the error classes and types: this is the `tfjs-prune/load` entry.
import type { io } from '@tensorflow/tfjs-core';
import {
  crc32, HEADER_BYTES, JSON_DEFLATE, JSON_RAW, MAGIC, POS_ALL, POS_BITS, POS_GAPS, Reader, SECTION_MODEL, SECTION_TENSOR,
  ST_FLOAT16, ST_FLOAT32, ST_RAW, ST_UINT16, ST_UINT8, VALUE_BYTES, VERSION, ZERO_COLS, ZERO_ROWS,
} from './format.js';
import { readStream } from './rans.js';
import { ContainerFormatError } from '../errors.js';
import { expectedStorage, checkSpecs, type Spec } from './specs.js';

export interface DecompressOptions {
  /** Largest weight data to allocate, in bytes (default 1 GiB): a guard against a forged size. */
  maxBytes?: number;
}

interface Section {
  kind: number;
  start: number;
  end: number;
  name: string;
}

const DEFAULT_MAX_BYTES = 2 ** 30;
const MODEL_KEYS = ['modelTopology', 'trainingConfig', 'format', 'generatedBy', 'convertedBy', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** Decodes a container into ModelArtifacts; every malformed input is a ContainerFormatError. */
export async function decompressArtifacts(bytes: Uint8Array | ArrayBuffer, options: DecompressOptions = {}): Promise<io.ModelArtifacts> {
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) throw new ContainerFormatError('decompressArtifacts: bytes must be a Uint8Array or an ArrayBuffer', 'input', 0);
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const sections = readSections(buf);
  if (sections.length === 0 || sections[0].kind !== SECTION_MODEL) new Reader(buf, HEADER_BYTES, buf.length, 'header').fail('the first section must be the model section');
  const model = await readModel(buf, sections[0]);
  const tensors = sections.slice(1);
  const specs = checkSpecs(model.weightSpecs, new Reader(buf, sections[0].start, sections[0].end, 'model'));
  if (tensors.length !== specs.length) new Reader(buf, buf.length, buf.length, 'header').fail(`${tensors.length} tensor sections for ${specs.length} weight specs`);

  // Pass 1: every tensor's head, so the output is allocated once, at its checked size.
  const heads = tensors.map((s, i) => readHead(buf, s, specs[i], i));
  let total = 0;
  for (const h of heads) total += h.outBytes;
  if (total > maxBytes) new Reader(buf, 0, 0, 'header').fail(`the weights would take ${total} bytes, more than maxBytes ${maxBytes}`);
  const out = new ArrayBuffer(total);
  let offset = 0;
  const outSpecs: io.WeightsManifestEntry[] = [];
  heads.forEach((h, i) => {
    decodeTensor(h, specs[i], out, offset);
    offset += h.outBytes;
    outSpecs.push(h.outSpec);
  });
  const result: io.ModelArtifacts = { weightSpecs: outSpecs, weightData: out };
  for (const key of MODEL_KEYS) if (model[key] !== undefined) (result as Record<string, unknown>)[key] = model[key];
  return result;
}

function readSections(buf: Uint8Array): Section[] {
  const r: Reader = new Reader(buf, 0, buf.length, 'header');
  const magic = r.take(4, 'magic');
  if (MAGIC.some((b, i) => magic[i] !== b)) r.fail('not a tfjs-prune container (magic number differs)', 0);
  const version = r.u8('version');
  if (version !== VERSION) r.fail(`container version ${version}, this decoder reads version ${VERSION}`, 4);
  if (r.u8('flags') !== 0) r.fail('reserved flags are not 0', 5);
  const count = r.u8('section count low') | (r.u8('section count high') << 8);
  const sections: Section[] = [];
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? 'model' : `tensor ${i - 1}`;
    const s: Reader = new Reader(buf, r.pos, buf.length, name);
    const kind = s.u8('section kind');
    if (kind !== (i === 0 ? SECTION_MODEL : SECTION_TENSOR)) s.fail(`section kind ${kind} where ${i === 0 ? 'the model' : 'a tensor'} section belongs`, r.pos);
    const length = s.varint('section length', s.end - s.pos - 4);
    const crc = s.u32('section checksum');
    const start = s.pos;
    if (length > buf.length - start) s.fail(`section length ${length} runs past the end of the container`, start);
    if (crc32(buf, start, start + length) !== crc) s.fail('checksum (CRC-32) does not match the section', start);
    sections.push({ kind, start, end: start + length, name });
    r.pos = start + length;
  }
  if (r.pos !== buf.length) r.fail(`${buf.length - r.pos} bytes after the last section`);
  return sections;
}

async function readModel(buf: Uint8Array, s: Section): Promise<Record<string, unknown>> {
  const r: Reader = new Reader(buf, s.start, s.end, 'model');
  const coding = r.u8('JSON coding');
  const length = r.varint('JSON length', 2 ** 30);
  let text: Uint8Array;
  if (coding === JSON_RAW) text = r.take(length, 'JSON');
  else if (coding === JSON_DEFLATE) text = await inflateRaw(r.take(r.end - r.pos, 'JSON'), length, r);
  else r.fail(`unknown JSON coding ${coding}`, s.start);
  if (text.length !== length) r.fail(`JSON is ${text.length} bytes, the section says ${length}`);
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} bytes after the JSON`);
  let model: unknown;
  try {
    model = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (e) {
    r.fail(`the model JSON does not parse: ${(e as Error).message}`, s.start);
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model)) r.fail('the model JSON is not an object', s.start);
  return model as Record<string, unknown>;
}

/** deflate-raw through the platform's DecompressionStream, stopping once past `max` bytes. */
async function inflateRaw(data: Uint8Array, max: number, r: Reader): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') r.fail('the model JSON is deflate-coded and this runtime has no DecompressionStream (write the container with { json: "raw" })');
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch {
      return r.fail('the deflate-coded JSON is corrupt');
    }
    if (step.done) break;
    total += step.value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      r.fail(`the deflate-coded JSON inflates past its declared ${max} bytes`);
    }
    chunks.push(step.value);
  }
  const text = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    text.set(c, o);
    o += c.length;
  }
  return text;
}

/** What pass 1 learns of a tensor section: its storage, element count, output size and spec. */
interface Head {
  r: Reader;
  storage: number;
  n: number;
  outBytes: number;
  outSpec: io.WeightsManifestEntry;
}

function readHead(buf: Uint8Array, s: Section, spec: Spec, i: number): Head {
  const r: Reader = new Reader(buf, s.start, s.end, `tensor ${i} (${spec.name})`);
  const storage = r.u8('storage');
  const want = expectedStorage(spec);
  if (storage !== want) r.fail(`storage ${storage} where the spec (${spec.dtype}${spec.quantization ? `, ${spec.quantization.dtype}` : ''}) needs ${want}`, s.start);
  const n = r.varint(storage === ST_RAW ? 'byte length' : 'element count', 2 ** 40);
  if (storage === ST_RAW) {
    if (spec.bytesPer > 0 && n !== spec.size * spec.bytesPer) r.fail(`${n} bytes for ${spec.size} elements of ${spec.dtype}`, s.start + 1);
    return { r, storage, n, outBytes: n, outSpec: spec.raw };
  }
  if (n !== spec.size) r.fail(`${n} elements where the shape [${spec.shape}] holds ${spec.size}`, s.start + 1);
  const { name, shape, group } = spec.raw;
  const outSpec: io.WeightsManifestEntry = { name, shape, dtype: spec.dtype === 'int32' ? 'int32' : 'float32' };
  if (group !== undefined) outSpec.group = group;
  return { r, storage, n, outBytes: 4 * n, outSpec };
}

function decodeTensor(h: Head, spec: Spec, out: ArrayBuffer, offset: number): void {
  const { r, storage, n } = h;
  if (storage === ST_RAW) {
    new Uint8Array(out, offset, n).set(r.take(n, 'raw bytes'));
    return end(r);
  }
  const k = VALUE_BYTES[storage];
  const cols = r.varint('columns', n);
  if (n === 0 ? cols !== 0 : cols === 0 || n % cols !== 0) r.fail(`${cols} columns do not divide ${n} elements`);
  const rows = cols === 0 ? 0 : n / cols;
  const bg = r.take(k, 'background value');
  const layout = r.u8('layout');
  const pos = layout >> 2;
  if (pos > POS_GAPS) r.fail(`unknown layout ${layout}`, r.pos - 1);
  const liveRows = layout & ZERO_ROWS ? readLive(r, rows, 'zero rows') : null;
  const liveCols = layout & ZERO_COLS ? readLive(r, cols, 'zero columns') : null;
  const nRows = liveRows ? liveRows.length : rows;
  const nCols = liveCols ? liveCols.length : cols;
  const live = nRows * nCols;
  const nnz = r.varint('value count', live);
  if (pos === POS_ALL && nnz !== live) r.fail(`${nnz} values for ${live} live elements`);
  const positions =
    pos === POS_BITS ? readStream(r, 'significance', Math.ceil(live / 8), 0) : pos === POS_GAPS ? readStream(r, 'gaps', null, nnz + Math.floor(live / 255) + 1) : null;
  const planes: Uint8Array[] = [];
  for (let j = k - 1; j >= 0; j--) planes.push(readStream(r, `value byte ${j}`, nnz, nnz));
  end(r);

  const toBits = valueBits(storage, spec);
  const vals = toBits(joinPlanes(planes, nnz));
  const dst = offset % 4 === 0 ? new Uint32Array(out, offset, n) : new Uint32Array(n);
  dst.fill(toBits(joinPlanes(Array.from(bg).reverse().map((b) => Uint8Array.of(b)), 1))[0]);
  const map = liveRows || liveCols ? { rows: liveRows ?? range(rows), cols: liveCols ?? range(cols), width: cols } : null;
  if (pos === POS_ALL) scatterAll(dst, vals, live, map);
  else if (pos === POS_BITS) scatterBits(r, dst, vals, positions!, live, map);
  else scatterGaps(r, dst, vals, positions!, live, map);
  if (dst.buffer !== out) new Uint8Array(out, offset, 4 * n).set(new Uint8Array(dst.buffer));
}

function end(r: Reader): void {
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} bytes left over in the section`);
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Indices of the rows (or columns) not marked all-background in a bitmap of `n` bits. */
function readLive(r: Reader, n: number, what: string): Int32Array {
  const bitmap = r.take(Math.ceil(n / 8), what);
  if (n % 8 !== 0 && bitmap[bitmap.length - 1] >> (n % 8) !== 0) r.fail(`${what}: padding bits are not 0`, r.pos - 1);
  const live: number[] = [];
  for (let i = 0; i < n; i++) if (((bitmap[i >> 3] >> (i & 7)) & 1) === 0) live.push(i);
  return Int32Array.from(live);
}

/** Values of k bytes from k planes, most significant plane first. */
function joinPlanes(planes: Uint8Array[], n: number): Uint32Array {
  if (planes.length === 1) return Uint32Array.from(planes[0]);
  const v = new Uint32Array(n);
  for (const p of planes) for (let i = 0; i < n; i++) v[i] = (v[i] << 8) | p[i];
  return v;
}

let halfBits: Uint32Array | null = null;

/** Maps codes (in place) to the bits of what stock tfjs decodes them to. */
function valueBits(storage: number, spec: Spec): (codes: Uint32Array) => Uint32Array {
  if (storage === ST_FLOAT32) return (c) => c;
  if (storage === ST_FLOAT16) {
    const t = (halfBits ??= makeHalfBits());
    return (c) => {
      for (let i = 0; i < c.length; i++) c[i] = t[c[i]];
      return c;
    };
  }
  const { scale, min } = spec.quantization as { scale: number; min: number };
  const int = spec.dtype === 'int32';
  return (c) => {
    const f = int ? new Int32Array(c.length) : new Float32Array(c.length);
    if (int) for (let i = 0; i < c.length; i++) f[i] = Math.round(c[i] * scale + min);
    else for (let i = 0; i < c.length; i++) f[i] = c[i] * scale + min;
    return new Uint32Array(f.buffer);
  };
}

/** float32 bits of every half (tfjs' getFloat16Decoder gives the same, subnormals included). */
function makeHalfBits(): Uint32Array {
  const t = new Uint32Array(65536);
  for (let x = 0; x < 65536; x++) {
    const sign = (x & 0x8000) << 16;
    let e = (x >>> 10) & 0x1f;
    let m = x & 0x3ff;
    if (e === 31) t[x] = sign | 0x7f800000 | (m << 13);
    else if (e > 0) t[x] = sign | ((e + 112) << 23) | (m << 13);
    else if (m === 0) t[x] = sign;
    else {
      for (e = 113; (m & 0x400) === 0; e--) m <<= 1;
      t[x] = sign | (e << 23) | ((m & 0x3ff) << 13);
    }
  }
  return t;
}

interface LiveMap {
  rows: Int32Array;
  cols: Int32Array;
  width: number;
}

/**
 * Flat indices of increasing live indices: live index l is live row l / nc, live column l % nc.
 * Kept incrementally (no division per value).
 */
class Walker {
  #lr = 0;
  #lc = 0;
  #l = 0;
  constructor(readonly map: LiveMap) {}
  flat(l: number): number {
    const { rows, cols, width } = this.map;
    let lc = this.#lc + (l - this.#l);
    if (lc >= cols.length) {
      this.#lr += (lc / cols.length) | 0;
      lc %= cols.length;
    }
    this.#lc = lc;
    this.#l = l;
    return rows[this.#lr] * width + cols[lc];
  }
}

function scatterAll(dst: Uint32Array, vals: Uint32Array, live: number, map: LiveMap | null): void {
  if (map === null) return dst.set(vals.subarray(0, live));
  const nc = map.cols.length;
  for (let lr = 0, l = 0; lr < map.rows.length; lr++) {
    const row = map.rows[lr] * map.width;
    for (let lc = 0; lc < nc; lc++) dst[row + map.cols[lc]] = vals[l++];
  }
}

function scatterBits(r: Reader, dst: Uint32Array, vals: Uint32Array, sig: Uint8Array, live: number, map: LiveMap | null): void {
  const walk = map && new Walker(map);
  let v = 0;
  for (let i = 0; i < sig.length; i++) {
    let b = sig[i];
    while (b !== 0) {
      const l = i * 8 + 31 - Math.clz32(b & -b);
      b &= b - 1;
      if (l >= live || v >= vals.length) r.fail(`significance bits mark more values than the ${vals.length} coded`);
      dst[walk === null ? l : walk.flat(l)] = vals[v++];
    }
  }
  if (v !== vals.length) r.fail(`significance bits mark ${v} values, ${vals.length} are coded`);
}

function scatterGaps(r: Reader, dst: Uint32Array, vals: Uint32Array, gaps: Uint8Array, live: number, map: LiveMap | null): void {
  const walk = map && new Walker(map);
  let v = 0;
  let l = 0;
  for (let i = 0; i < gaps.length; i++) {
    const d = gaps[i];
    l += d;
    if (d === 255) continue;
    if (l >= live || v >= vals.length) r.fail(`gaps run past the ${live} live elements or the ${vals.length} values`);
    dst[walk === null ? l : walk.flat(l)] = vals[v++];
    l++;
  }
  if (v !== vals.length || (gaps.length > 0 && gaps[gaps.length - 1] === 255)) r.fail(`gaps place ${v} of ${vals.length} values`);
}
