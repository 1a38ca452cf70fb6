// Owns the layout of a kernel module's linear memory and hands out views into it.
//
// Growing a WebAssembly.Memory detaches every view into its old buffer, so nothing here caches a
// view across an allocation: `f32`, `u32` and `u8` check the buffer on every access and rebuild.
//
//   0 .. heapBase        module data (none today)
//   heapBase .. top      blocks handed out by alloc(), 16-byte aligned, first fit
//   top .. end           free; memory grows in 64 KiB pages when top would pass the end

import type { LinearMemory } from './purejs.js';

const PAGE = 65536;
const ALIGN = 16;

interface Block {
  ptr: number;
  size: number;
}

export class Heap {
  readonly memory: LinearMemory;
  private top: number;
  private readonly used = new Map<number, number>();
  private readonly free: Block[] = []; // sorted by ptr, never adjacent
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private u32View = new Uint32Array(0);
  private u8View = new Uint8Array(0);

  constructor(memory: LinearMemory, base: number) {
    this.memory = memory;
    this.top = align(base);
  }

  /** Reserves `bytes` (rounded up to 16) and returns the byte offset. Contents are not cleared. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size < size) continue;
      const ptr = b.ptr;
      if (b.size === size) this.free.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      this.used.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        throw new RangeError(`cannot grow kernel memory to ${end} bytes`);
      }
    }
    this.top = end;
    this.used.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) return;
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block below the new top may be free too: give it back to the bump region.
      const last = this.free[this.free.length - 1];
      if (last && last.ptr + last.size === this.top) {
        this.top = last.ptr;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += size;
      if (next && prev.ptr + prev.size === next.ptr) {
        prev.size += next.size;
        this.free.splice(i, 1);
      }
    } else if (next && ptr + size === next.ptr) {
      next.ptr = ptr;
      next.size += size;
    } else {
      this.free.splice(i, 0, { ptr, size });
    }
  }

  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  get u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.f32View = new Float32Array(buffer);
    this.u32View = new Uint32Array(buffer);
    this.u8View = new Uint8Array(buffer);
  }
}

// Arithmetic, not bitwise: offsets reach 4 GiB, past int32.
function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
