// compressArtifacts: tf.io.ModelArtifacts into one container (docs/container.md). Values are kept
// exactly as the model stores them (float32 bits, float16 halves, uint8/uint16 codes); what is
// coded is where they sit and which they are, each tensor in the smallest of its layouts.
import { deflateSync, strToU8 } from 'fflate';
import { ArgumentError } from '../errors.js';
import { readArtifacts } from '../model/artifacts.js';
import type { TensorEntry } from '../format/index.js';
import type { ModelArtifacts } from '../model/types.js';
import { CODEBOOK, HEADER_BYTES, JSON_DEFLATE, JSON_RAW, MAGIC, POS_ALL, POS_BITS, POS_GAPS, SECTION_MODEL, SECTION_TENSOR, ST_FLOAT32, ST_RAW, VALUE_BYTES, VERSION, ZERO_COLS, ZERO_ROWS, crc32 } from './format.js';
import { encodeStream } from './rans_encode.js';
import { expectedStorage } from './specs.js';
import { clusterCodes, codeValues, type ValueCoding } from './values.js';
import { ByteWriter } from './writer.js';

export interface CompressOptions {
  /**
   * How the model JSON (topology and weight specs) is stored: 'deflate' (default; decoded with the
   * platform's DecompressionStream) or 'raw' (for runtimes without one, such as QuickJS).
   */
  json?: 'deflate' | 'raw';
  /**
   * Lossy weight sharing: the nonzero values of every float tensor of rank >= 2 (kernels; biases
   * and other vectors stay exact) clustered by 1-D k-means into at most 2^bits shared values
   * (1..16), zeros kept exact. Omitted: lossless (a codebook is still used wherever a tensor
   * already has few distinct values and it is smaller).
   */
  codebook?: number;
}

/** One tensor of a container, as compressArtifactsReport wrote it. */
export interface CompressTensorReport {
  name: string;
  shape: number[];
  /** The tensor's storage: float32, float16, uint8, uint16 or raw. */
  storage: string;
  /** Bytes of its section's payload. */
  bytes: number;
  /** Positions coding: 'all' values, significance 'bits', 'gaps'; null for raw storage. */
  positions: 'all' | 'bits' | 'gaps' | null;
  /** Entries of its codebook; null when the values are coded as byte planes. */
  codebook: number | null;
  /** With options.codebook: what clustering cost (null when the tensor was left exact). */
  clustered: { bits: number; centroids: number; relativeRms: number } | null;
}

export interface CompressReport {
  /** The container's bytes. */
  bytes: number;
  tensors: CompressTensorReport[];
}

const FNAME = 'compressArtifacts';
const MODEL_KEYS = ['modelTopology', 'trainingConfig', 'format', 'generatedBy', 'convertedBy', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** Encodes artifacts (layers or graph model, any manifest) as a container; the input is not modified. */
export function compressArtifacts(artifacts: ModelArtifacts, options: CompressOptions = {}): Uint8Array {
  return compressArtifactsReport(artifacts, options).container;
}

/** compressArtifacts, with what was written for each tensor (coding, bytes, clustering error). */
export function compressArtifactsReport(artifacts: ModelArtifacts, options: CompressOptions = {}): { container: Uint8Array; report: CompressReport } {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be an object`);
  for (const key of Object.keys(options)) if (key !== 'json' && key !== 'codebook') throw new ArgumentError(`${FNAME}: unknown option '${key}' (known: json, codebook)`);
  const json = options.json ?? 'deflate';
  if (json !== 'deflate' && json !== 'raw') throw new ArgumentError(`${FNAME}: options.json must be 'deflate' or 'raw', got ${String(json)}`);
  const bits = options.codebook;
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 1 && bits <= 16)) throw new ArgumentError(`${FNAME}: options.codebook must be an integer number of bits in [1, 16], got ${String(bits)}`);
  const { entries, store } = readArtifacts(artifacts, FNAME);
  if (entries.length + 1 > 0xffff) throw new ArgumentError(`${FNAME}: ${entries.length} tensors, at most ${0xffff - 1} fit in a container`);
  const model: Record<string, unknown> = {};
  for (const key of MODEL_KEYS) {
    const v = artifacts[key];
    if (v instanceof ArrayBuffer) throw new ArgumentError(`${FNAME}: artifacts.${key} is binary (a protobuf topology); only JSON topologies fit in a container`);
    if (v !== undefined) model[key] = v;
  }
  model.weightSpecs = entries.map((e) => e.spec);
  const sections = [modelSection(model, json)];
  const tensors: CompressTensorReport[] = [];
  for (const e of entries) {
    const t = encodeTensor(e, store.bytes(e.byteOffset, e.byteLength), bits);
    sections.push(t.payload);
    tensors.push(t.report);
  }

  const w = new ByteWriter(HEADER_BYTES + sections.reduce((t, s) => t + s.length + 10, 0));
  for (const b of MAGIC) w.u8(b);
  w.u8(VERSION);
  w.u8(0);
  w.u8(sections.length & 0xff);
  w.u8(sections.length >> 8);
  sections.forEach((s, i) => {
    w.u8(i === 0 ? SECTION_MODEL : SECTION_TENSOR);
    w.varint(s.length);
    w.u32(crc32(s));
    w.bytes(s);
  });
  const container = w.finish();
  return { container, report: { bytes: container.length, tensors } };
}

function modelSection(model: Record<string, unknown>, json: 'deflate' | 'raw'): Uint8Array {
  const text = strToU8(JSON.stringify(model));
  const w = new ByteWriter(text.length + 8);
  w.u8(json === 'raw' ? JSON_RAW : JSON_DEFLATE);
  w.varint(text.length);
  w.bytes(json === 'raw' ? text : deflateSync(text, { level: 9 }));
  return w.finish();
}

const STORAGE_NAMES = ['float32', 'float16', 'uint8', 'uint16', 'raw'];
const POSITION_NAMES = ['all', 'bits', 'gaps'] as const;

/**
 * One tensor section's payload: storage, count, then the smallest layout found. With `bits`, a
 * float tensor of rank >= 2 is clustered first (clusterCodes).
 */
export function encodeTensor(e: TensorEntry, bytes: Uint8Array, bits?: number): { payload: Uint8Array; report: CompressTensorReport } {
  const storage = expectedStorage({ dtype: e.dtype, quantization: e.quant === null ? undefined : { dtype: e.quant } });
  const report: CompressTensorReport = { name: e.name, shape: e.shape, storage: STORAGE_NAMES[storage], bytes: 0, positions: null, codebook: null, clustered: null };
  const w = new ByteWriter(bytes.length + 24);
  w.u8(storage);
  if (storage === ST_RAW) {
    w.varint(bytes.length);
    w.bytes(bytes);
  } else {
    const k = VALUE_BYTES[storage];
    const n = e.size;
    let codes = readCodes(bytes, k, n);
    const bg = storage === ST_FLOAT32 ? 0 : mostFrequent(codes, k);
    if (bits !== undefined && e.dtype === 'float32' && e.shape.length >= 2) {
      const c = clusterCodes(codes, bg, storage, e, bits);
      if (c !== null) {
        codes = c.codes;
        report.clustered = { bits, centroids: c.centroids, relativeRms: c.relativeRms };
      }
    }
    const cols = n === 0 ? 0 : e.shape.length > 0 ? e.shape[e.shape.length - 1] : 1;
    const best = bestLayout(codes, bg, k, cols);
    w.varint(n);
    w.varint(cols);
    for (let j = 0; j < k; j++) w.u8((bg >>> (8 * j)) & 0xff);
    w.bytes(best.enc);
    report.positions = POSITION_NAMES[best.pos];
    report.codebook = best.codebook;
  }
  const payload = w.finish();
  report.bytes = payload.length;
  return { payload, report };
}

function readCodes(bytes: Uint8Array, k: number, n: number): Uint32Array {
  const c = new Uint32Array(n);
  if (k === 1) c.set(bytes);
  else if (k === 2) for (let i = 0; i < n; i++) c[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  else for (let i = 0; i < n; i++) c[i] = (bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) | (bytes[4 * i + 3] << 24)) >>> 0;
  return c;
}

/** The commonest code of a 1- or 2-byte storage (the zero code of a pruned quantized tensor). */
function mostFrequent(codes: Uint32Array, k: number): number {
  const hist = new Uint32Array(1 << (8 * k));
  for (let i = 0; i < codes.length; i++) hist[codes[i]]++;
  let best = 0;
  for (let c = 1; c < hist.length; c++) if (hist[c] > hist[best]) best = c;
  return best;
}

/**
 * Tries every layout (zero rows and/or columns marked or not; positions as all-values,
 * significance bits or gaps) and returns the smallest encoding, from the layout byte on.
 */
function bestLayout(codes: Uint32Array, bg: number, k: number, cols: number): { enc: Uint8Array; pos: number; codebook: number | null } {
  const rows = cols === 0 ? 0 : codes.length / cols;
  const rowLive = new Uint8Array(rows);
  const colLive = new Uint8Array(cols);
  let nnz = 0;
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) {
      if (codes[i] !== bg) {
        rowLive[r] = 1;
        colLive[c] = 1;
        nnz++;
      }
    }
  }
  const nonzero = new Uint32Array(nnz);
  for (let i = 0, v = 0; i < codes.length; i++) if (codes[i] !== bg) nonzero[v++] = codes[i];
  const values = codeValues(nonzero, k);
  const zeroRows = rowLive.includes(0);
  const zeroCols = colLive.includes(0);
  let best: { enc: Uint8Array; cost: number; pos: number; codebook: number | null } | null = null;
  for (const flags of [0, ZERO_ROWS, ZERO_COLS, ZERO_ROWS | ZERO_COLS]) {
    if ((flags & ZERO_ROWS && !zeroRows) || (flags & ZERO_COLS && !zeroCols)) continue;
    const liveRows = flags & ZERO_ROWS ? rowLive : rowLive.map(() => 1);
    const liveCols = flags & ZERO_COLS ? colLive : colLive.map(() => 1);
    const live = gatherLive(codes, liveRows, liveCols);
    const bits = new Uint8Array(Math.ceil(live.length / 8));
    const gaps: number[] = [];
    let gap = 0;
    for (let l = 0; l < live.length; l++) {
      if (live[l] === bg) {
        gap++;
        continue;
      }
      bits[l >> 3] |= 1 << (l & 7);
      for (; gap >= 255; gap -= 255) gaps.push(255);
      gaps.push(gap);
      gap = 0;
    }
    const candidates: [number, number, Uint8Array | null, ValueCoding][] = [
      [POS_BITS, nnz, encodeStream(bits), values],
      [POS_GAPS, nnz, encodeStream(Uint8Array.from(gaps)), values],
      [POS_ALL, live.length, null, codeValues(live, k)],
    ];
    for (const [pos, count, positions, v] of candidates) {
      const w = new ByteWriter(v.bytes + (positions?.length ?? 0) + 16);
      w.u8(flags | (pos << 2) | (v.book ? CODEBOOK : 0));
      if (flags & ZERO_ROWS) w.bytes(bitmapOfZeros(rowLive));
      if (flags & ZERO_COLS) w.bytes(bitmapOfZeros(colLive));
      w.varint(count);
      if (v.book) w.bytes(v.book);
      if (positions) w.bytes(positions);
      for (const s of v.streams) w.bytes(s);
      const enc = w.finish();
      // All-values decodes a symbol per element, the others a few per value: it must win by 1%.
      const cost = pos === POS_ALL ? enc.length * 1.01 : enc.length;
      if (best === null || cost < best.cost) best = { enc, cost, pos, codebook: v.book ? v.entries : null };
    }
  }
  return best!;
}

/** The codes of the live rows x live columns, in row-major order. */
function gatherLive(codes: Uint32Array, liveRows: Uint8Array, liveCols: Uint8Array): Uint32Array {
  const cols = liveCols.length;
  let nr = 0;
  let nc = 0;
  for (const x of liveRows) nr += x;
  for (const x of liveCols) nc += x;
  if (nr === liveRows.length && nc === cols) return codes;
  const out = new Uint32Array(nr * nc);
  let o = 0;
  for (let r = 0; r < liveRows.length; r++) {
    if (!liveRows[r]) continue;
    for (let c = 0; c < cols; c++) if (liveCols[c]) out[o++] = codes[r * cols + c];
  }
  return out;
}

function bitmapOfZeros(live: Uint8Array): Uint8Array {
  const b = new Uint8Array(Math.ceil(live.length / 8));
  for (let i = 0; i < live.length; i++) if (!live[i]) b[i >> 3] |= 1 << (i & 7);
  return b;
}
