/// <reference types="node" />
// The report's gzip sizes with Node's native zlib (docs/model.md, "Sizes"): each piece compressed
// on libuv's thread pool (zlib.gzip is asynchronous there), so the pieces of a batch go in
// parallel on every core the pool has, and the calling thread stays free.
import { gzip } from 'node:zlib';
import { GZIP_LEVEL, type GzipSizes } from '../model/sizes.js';

const one = (piece: Uint8Array) =>
  new Promise<number>((resolve, reject) => {
    gzip(piece, { level: GZIP_LEVEL }, (err, out) => (err ? reject(err) : resolve(out.length)));
  });

/** Gzip sizes (level 6) of pieces of bytes, by native zlib on the thread pool. Pass as pruneArtifacts' `gzipSizes`. */
export const nodeGzipSizes: GzipSizes = (pieces) => Promise.all(pieces.map(one));
