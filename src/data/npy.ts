// NumPy's .npy format (numpy.org/neps/nep-0001-npy-format.html), parsed from bytes: no Node
// built-ins. Only what calibration data needs: float32 ('<f4') or float64 ('<f8', converted),
// C order.
//
//   offset  bytes  field
//   0       6      magic "\x93NUMPY"
//   6       2      version major, minor (1.x: header length uint16 LE at 8; 2.x/3.x: uint32 LE)
//   8/10    ...    header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, ...), }
//   ...            data, row-major
import { DataFormatError } from '../errors.js';

export interface NpyArray {
  shape: number[];
  values: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** True when the bytes start with the .npy magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

export function parseNpy(bytes: Uint8Array, file = '.npy data'): NpyArray {
  const fail = (what: string, byteOffset: number): never => {
    throw new DataFormatError(`parseNpy: ${file}: ${what}`, { file, byteOffset });
  };
  if (!isNpy(bytes)) fail('not a .npy file (no \\x93NUMPY magic)', 0);
  if (bytes.length < 10) fail(`${bytes.length} bytes, shorter than a header`, bytes.length);
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unknown format version ${major}.${bytes[7]}`, 6);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('header length cut short', bytes.length);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLength) fail(`header of ${headerLength} bytes cut short`, bytes.length);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`, start);
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)', start);
  const elementBytes = descr === '<f4' ? 4 : descr === '<f8' ? 8 : fail(`dtype '${descr}' is not supported (float32 '<f4' or float64 '<f8')`, start);
  const shape = (shapeText as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`shape (${shapeText}) is not a tuple of integers`, start)));
  const size = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  const expected = dataStart + size * elementBytes;
  if (bytes.length !== expected) fail(`holds ${bytes.length} bytes but its header (${descr}[${shape.join(', ')}]) describes ${expected}`, Math.min(bytes.length, expected));
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = elementBytes === 4 ? view.getFloat32(dataStart + 4 * i, true) : view.getFloat64(dataStart + 8 * i, true);
  return { shape, values };
}
