// MNIST from its IDX files, as plain typed arrays (no tfjs, no Node built-ins). Node reads the
// files with loadMnist (src/node/mnist.ts); a page can fetch them and call mnistFromIdx.
import { ArgumentError, DataFormatError } from '../errors.js';
import { parseIdx, type IdxArray } from './idx.js';

export interface MnistData {
  /** count × rows × cols pixels, row-major, scaled to [0, 1] (byte / 255). */
  images: Float32Array;
  /** count labels, 0 to 9. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface MnistSliceOptions {
  /** First example (default 0). */
  offset?: number;
  /** Most examples to return (default: all from offset on). */
  limit?: number;
}

/**
 * MNIST from the bytes of an images file (uint8, rank 3) and a labels file (uint8, rank 1), e.g.
 * `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`. Both must hold the same count.
 */
export function mnistFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, options: MnistSliceOptions = {}): MnistData {
  const images = parseIdx(imageBytes, 'images');
  const labels = parseIdx(labelBytes, 'labels');
  checkMnistHeaders(images, labels, 'images', 'labels');
  const { offset, count } = mnistRange('mnistFromIdx', images.shape[0], options);
  const px = images.shape[1] * images.shape[2];
  return mnistArrays(
    (images.values as Uint8Array).subarray(offset * px, (offset + count) * px),
    (labels.values as Uint8Array).subarray(offset, offset + count),
    images.shape[1],
    images.shape[2],
    'labels',
    labels.headerBytes + offset,
  );
}

/** Images uint8[count, rows, cols] and labels uint8[count] with equal counts, labels < 10. */
export function checkMnistHeaders(
  images: Pick<IdxArray, 'dtype' | 'shape'>,
  labels: Pick<IdxArray, 'dtype' | 'shape'>,
  imagesFile: string,
  labelsFile: string,
): void {
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DataFormatError(`MNIST: ${imagesFile} holds ${images.dtype}[${images.shape.join(', ')}], not uint8 images [count, rows, cols]`, { file: imagesFile, byteOffset: 2 });
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DataFormatError(`MNIST: ${labelsFile} holds ${labels.dtype}[${labels.shape.join(', ')}], not uint8 labels [count]`, { file: labelsFile, byteOffset: 2 });
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw new DataFormatError(`MNIST: ${imagesFile} holds ${images.shape[0]} images but ${labelsFile} ${labels.shape[0]} labels`, { file: labelsFile, byteOffset: 4 });
  }
}

/** Validates offset/limit against `total` examples. */
export function mnistRange(fname: string, total: number, options: MnistSliceOptions): { offset: number; count: number } {
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > total) {
    throw new ArgumentError(`${fname}: offset must be an integer in [0, ${total}], got ${String(offset)}`);
  }
  const limit = options.limit ?? total - offset;
  if (!Number.isInteger(limit) || limit < 0) throw new ArgumentError(`${fname}: limit must be an integer >= 0, got ${String(limit)}`);
  return { offset, count: Math.min(limit, total - offset) };
}

/** Pixels scaled to [0, 1]; labels checked to be digits. */
export function mnistArrays(pixels: Uint8Array, labelBytes: Uint8Array, rows: number, cols: number, labelsFile = 'labels', labelsByteOffset = 0): MnistData {
  const count = labelBytes.length;
  for (let i = 0; i < count; i++) {
    if (labelBytes[i] > 9) {
      throw new DataFormatError(`MNIST: label ${i} in ${labelsFile} is ${labelBytes[i]}, not a digit 0-9`, { file: labelsFile, byteOffset: labelsByteOffset + i });
    }
  }
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i] / 255;
  return { images, labels: Uint8Array.from(labelBytes), count, rows, cols };
}
