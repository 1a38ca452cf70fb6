/// <reference types="node" />
// The report's gzip sizes with Node's native zlib (docs/model.md, "Sizes"): pieces compressed on
// libuv's thread pool (zlib.gzip is asynchronous there), as many at a time as there are cores, at
// most the pool's size less one: the pool also serves file reads and writes (a streamed prune
// reads its shards through it), which would otherwise wait behind a batch of compression.
import os from 'node:os';
import { gzip } from 'node:zlib';
import { GZIP_LEVEL, type GzipSizes } from '../model/sizes.js';

// libuv's default pool has 4 threads (UV_THREADPOOL_SIZE; only src/cli reads the environment).
const POOL = 4;
const AT_ONCE = Math.max(1, Math.min(os.availableParallelism(), POOL - 1));

const one = (piece: Uint8Array) =>
  new Promise<number>((resolve, reject) => {
    // One output chunk for the whole piece: fewer round trips to the main thread.
    gzip(piece, { level: GZIP_LEVEL, chunkSize: Math.max(16 * 1024, piece.length + 1024) }, (err, out) => (err ? reject(err) : resolve(out.length)));
  });

/** Gzip sizes (level 6) of pieces of bytes, by native zlib on the thread pool. Pass as pruneArtifacts' `gzipSizes`. */
export const nodeGzipSizes: GzipSizes = async (pieces) => {
  const sizes = new Array<number>(pieces.length);
  let next = 0;
  const lane = async () => {
    while (next < pieces.length) {
      const i = next++;
      sizes[i] = await one(pieces[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, pieces.length) }, lane));
  return sizes;
};
