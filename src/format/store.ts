// Random access to weight bytes held as one ArrayBuffer or as shards (ArrayBuffer[]), which is how
// tf.io.ModelArtifacts carries them. A tensor may straddle two shards and may start at an offset
// that is not a multiple of 4 (after a uint8 or bool tensor): such tensors are copied, all others
// are viewed in place.
import { ModelFormatError } from '../errors.js';

export type WeightData = ArrayBuffer | ArrayBuffer[];

export class WeightStore {
  readonly buffers: readonly ArrayBuffer[];
  /** Byte offset at which each buffer starts in the concatenation. */
  private readonly starts: number[];
  readonly byteLength: number;

  constructor(buffers: readonly ArrayBuffer[]) {
    this.buffers = buffers;
    this.starts = [];
    let off = 0;
    for (const b of buffers) {
      this.starts.push(off);
      off += b.byteLength;
    }
    this.byteLength = off;
  }

  static from(data: unknown, fname: string): WeightStore {
    if (data instanceof ArrayBuffer) return new WeightStore([data]);
    if (Array.isArray(data) && data.every((b) => b instanceof ArrayBuffer)) return new WeightStore(data as ArrayBuffer[]);
    throw new ModelFormatError(
      'MALFORMED_MODEL',
      `${fname}: weightData must be an ArrayBuffer or an array of ArrayBuffers, got ${describe(data)}`,
    );
  }

  /** Allocates a zero-filled store with the same shard sizes as `like`, or one buffer of `byteLength`. */
  static alloc(byteLength: number, like?: WeightStore): WeightStore {
    if (like && like.byteLength === byteLength) return new WeightStore(like.buffers.map((b) => new ArrayBuffer(b.byteLength)));
    return new WeightStore([new ArrayBuffer(byteLength)]);
  }

  /** The data in the shape tf.io.ModelArtifacts expects: one buffer stays one buffer. */
  get data(): WeightData {
    return this.buffers.length === 1 ? this.buffers[0] : [...this.buffers];
  }

  /** Index of the buffer holding byte `off` (off < byteLength). */
  private find(off: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty shards sitting at the same offset.
    while (lo < this.buffers.length - 1 && this.buffers[lo].byteLength === 0) lo++;
    return lo;
  }

  /** A view of [off, off + len) when it lies inside one buffer, else null. */
  view(off: number, len: number): Uint8Array | null {
    if (len === 0) return new Uint8Array(0);
    const i = this.find(off);
    const start = off - this.starts[i];
    if (start + len > this.buffers[i].byteLength) return null;
    return new Uint8Array(this.buffers[i], start, len);
  }

  /** Bytes [off, off + len): a view when possible, else a copy. */
  bytes(off: number, len: number): Uint8Array {
    return this.view(off, len) ?? this.copy(off, len);
  }

  /** A fresh copy of [off, off + len) in its own buffer (so it is 4-byte aligned). */
  copy(off: number, len: number, out = new Uint8Array(len)): Uint8Array {
    let done = 0;
    let i = len > 0 ? this.find(off) : 0;
    while (done < len) {
      const b = this.buffers[i];
      const start = off + done - this.starts[i];
      const n = Math.min(b.byteLength - start, len - done);
      if (n > 0) out.set(new Uint8Array(b, start, n), done);
      done += Math.max(n, 0);
      i++;
    }
    return out;
  }

  /** Writes `src` at byte `off`, across buffer boundaries if needed. */
  write(off: number, src: Uint8Array): void {
    let done = 0;
    let i = src.length > 0 ? this.find(off) : 0;
    while (done < src.length) {
      const b = this.buffers[i];
      const start = off + done - this.starts[i];
      const n = Math.min(b.byteLength - start, src.length - done);
      if (n > 0) new Uint8Array(b, start, n).set(src.subarray(done, done + n));
      done += Math.max(n, 0);
      i++;
    }
  }

  /** A Float32Array viewing `n` floats at `off` in place, or null when they straddle or are unaligned. */
  f32View(off: number, n: number): Float32Array | null {
    const v = this.view(off, n * 4);
    if (v === null || v.byteOffset % 4 !== 0) return null;
    return new Float32Array(v.buffer, v.byteOffset, n);
  }

  /** Copies [off, off + len) of `src` to the same place in this store (same layout). */
  copyFrom(src: WeightStore, off: number, len: number): void {
    const v = src.view(off, len);
    this.write(off, v ?? src.copy(off, len));
  }
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an Array';
  if (ArrayBuffer.isView(x)) return (x as unknown as Record<symbol, string>)[Symbol.toStringTag] ?? 'a DataView';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return `${typeof x} ${String(x)}`;
}
