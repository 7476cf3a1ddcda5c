/**
 * Bytes received but not yet consumed, appended without quadratic copying.
 *
 * Why views stay valid: bytes are only ever written past the current end, and consumed bytes are
 * dropped by moving the start, so a view handed out (to a socket write, say) is never
 * overwritten.
 */
export class ByteAccumulator {
  #buf: Buffer = Buffer.alloc(0);
  #len = 0;

  /** How many bytes are held. */
  get length(): number {
    return this.#len;
  }

  /** Appends a copy of `chunk`. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#len + chunk.length > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.#len + chunk.length, this.#buf.length * 2, 4096));
      this.#buf.copy(next, 0, 0, this.#len);
      this.#buf = next;
    }
    chunk.copy(this.#buf, this.#len);
    this.#len += chunk.length;
  }

  /** The bytes held (a view: valid until the next `drop`). */
  view(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }

  /** Drops the first `n` bytes. */
  drop(n: number): void {
    if (n >= this.#len) {
      this.#buf = Buffer.alloc(0);
      this.#len = 0;
      return;
    }
    this.#buf = this.#buf.subarray(n);
    this.#len -= n;
  }
}
