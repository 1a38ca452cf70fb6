// Where the bytes of a weightData object came from (which shard file, at which offset), so that an
// error found later, e.g. a NaN weight, can name the file and byte offset. tfjs-prune/node records
// this when it loads; artifacts built in memory have no files and errors give offsets into the
// concatenated weight data instead.
import type { ModelLocation } from '../errors.js';

export interface WeightFile {
  /** Path or URL of the shard. */
  file: string;
  /** Where the shard starts in the concatenated weight data. */
  byteOffset: number;
  byteLength: number;
}

const origins = new WeakMap<object, readonly WeightFile[]>();

/** @internal Records the shard files a weightData object was read from (used by tfjs-prune/node). */
export function recordWeightFiles(weightData: object, files: readonly WeightFile[]): void {
  origins.set(weightData, files);
}

/** The file and offset in it of byte `offset` of the weight data, when known. */
export function locate(weightData: unknown, tensor: string, offset: number): Required<Pick<ModelLocation, 'tensor' | 'byteOffset'>> & ModelLocation {
  const files = typeof weightData === 'object' && weightData !== null ? origins.get(weightData) : undefined;
  if (files) {
    for (const f of files) {
      if (offset >= f.byteOffset && offset < f.byteOffset + f.byteLength) {
        return { file: f.file, tensor, byteOffset: offset - f.byteOffset };
      }
    }
  }
  return { tensor, byteOffset: offset };
}

/** "byte 1234 of group1-shard1of2.bin" or "byte 1234 of the weight data". */
export function describeLocation(loc: ModelLocation): string {
  return loc.file === undefined ? `byte ${loc.byteOffset} of the weight data` : `byte ${loc.byteOffset} of ${loc.file}`;
}
