// The IDX format of MNIST (yann.lecun.com/exdb/mnist), parsed from bytes: no Node built-ins, so
// the same code reads the files in Node, in a browser (fetch) or at the edge.
//
//   offset  bytes  field
//   0       2      0x0000
//   2       1      element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   3       1      rank r
//   4       4·r    dimensions, big-endian uint32
//   4+4r    ...    elements, row-major, big-endian
import { DataFormatError } from '../errors.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export interface IdxHeader {
  dtype: IdxDtype;
  shape: number[];
  /** Bytes before the first element: 4 + 4·rank. */
  headerBytes: number;
  /** Bytes per element. */
  elementBytes: number;
  /** Product of the shape. */
  size: number;
}

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray extends IdxHeader {
  /** The elements, host byte order. A uint8 file's values are a view of the input bytes. */
  values: IdxValues;
}

const TYPES: Record<number, [IdxDtype, number]> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

/**
 * Reads the header from the first bytes of an IDX file (at least 4 + 4·rank of them). `file`
 * names the file in errors.
 */
export function parseIdxHeader(bytes: Uint8Array, file?: string): IdxHeader {
  const where = (byteOffset: number) => ({ file, byteOffset });
  const name = file ?? 'IDX data';
  if (bytes.length < 4) throw new DataFormatError(`parseIdx: ${name} has ${bytes.length} bytes, fewer than the 4 of an IDX magic number`, where(0));
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(`parseIdx: ${name} does not start with an IDX magic number (first bytes 0x${hex(bytes[0])} 0x${hex(bytes[1])}, expected 0x00 0x00)`, where(0));
  }
  const type = TYPES[bytes[2]];
  if (type === undefined) throw new DataFormatError(`parseIdx: ${name} has element type 0x${hex(bytes[2])}, not one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E`, where(2));
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataFormatError(`parseIdx: ${name} is cut inside its header (rank ${rank} needs ${headerBytes} bytes, got ${bytes.length})`, where(bytes.length));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let d = 0; d < rank; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    size *= n;
  }
  return { dtype: type[0], shape, headerBytes, elementBytes: type[1], size };
}

/**
 * Parses a whole IDX file. The byte count must match the header exactly (a cut or padded file is
 * an error naming both counts). uint8 values are a view of `bytes`, the other types a copy.
 */
export function parseIdx(bytes: Uint8Array, file?: string): IdxArray {
  const h = parseIdxHeader(bytes, file);
  const expected = h.headerBytes + h.size * h.elementBytes;
  if (bytes.length !== expected) {
    throw new DataFormatError(
      `parseIdx: ${file ?? 'IDX data'} holds ${bytes.length} bytes but its header (${h.dtype}[${h.shape.join(', ')}]) describes ${expected}`,
      { file, byteOffset: Math.min(bytes.length, expected) },
    );
  }
  return { ...h, values: decodeIdxValues(h, bytes.subarray(h.headerBytes)) };
}

/** Big-endian elements of the header's type -> a typed array (uint8: a view, no copy). */
export function decodeIdxValues(h: Pick<IdxHeader, 'dtype' | 'elementBytes'>, body: Uint8Array): IdxValues {
  const n = Math.floor(body.length / h.elementBytes);
  if (h.dtype === 'uint8') return body.subarray(0, n);
  if (h.dtype === 'int8') return new Int8Array(body.buffer, body.byteOffset, n);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (h.dtype) {
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

const hex = (b: number | undefined) => (b ?? 0).toString(16).padStart(2, '0').toUpperCase();
