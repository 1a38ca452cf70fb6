// A growable byte buffer for the encoder.
export class ByteWriter {
  #buf: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf[this.length++] = v;
  }

  u32(v: number): void {
    this.#room(4);
    for (let i = 0; i < 4; i++) this.#buf[this.length++] = (v >>> (8 * i)) & 0xff;
  }

  /** Unsigned LEB128. */
  varint(v: number): void {
    do {
      const b = v % 128;
      v = Math.floor(v / 128);
      this.u8(v > 0 ? b | 0x80 : b);
    } while (v > 0);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  /** The bytes written (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}
