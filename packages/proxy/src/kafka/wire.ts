/**
 * Kafka's primitive encodings (https://kafka.apache.org/protocol#protocol_types) over `Uint8Array`:
 * big-endian integers, classic strings/bytes/arrays (int16 or int32 length, -1 for null) and their
 * compact forms of flexible versions (unsigned varint length + 1, 0 for null), and tagged-field
 * sections. The reader never throws: the first out-of-bounds or invalid read records an error,
 * every later read returns a placeholder, and the caller checks `error` once at the end.
 */

/** Where and why bytes could not be read. */
export interface WireError {
  readonly offset: number;
  readonly message: string;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const UTF8_ENCODER = new TextEncoder();

/** Reads Kafka primitives from a byte range; see the module comment for its error convention. */
export class WireReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  #error: WireError | null = null;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = offset;
  }

  /** The offset of the next read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left after the offset. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** The first failed read, if any. */
  get error(): WireError | null {
    return this.#error;
  }

  /** Records a failure at the current offset (only the first one is kept). */
  fail(message: string): void {
    this.#error ??= { offset: this.#pos, message };
  }

  /** Whether `n` more bytes can be read; records a failure when not. */
  #need(n: number, what: string): boolean {
    if (this.#error !== null) return false;
    if (n > this.#bytes.length - this.#pos) {
      this.fail(`${what} runs past the end (${n} bytes needed, ${this.#bytes.length - this.#pos} left)`);
      return false;
    }
    return true;
  }

  int8(): number {
    if (!this.#need(1, "int8")) return 0;
    return this.#view.getInt8(this.#pos++);
  }

  int16(): number {
    if (!this.#need(2, "int16")) return 0;
    const v = this.#view.getInt16(this.#pos);
    this.#pos += 2;
    return v;
  }

  int32(): number {
    if (!this.#need(4, "int32")) return 0;
    const v = this.#view.getInt32(this.#pos);
    this.#pos += 4;
    return v;
  }

  int64(): bigint {
    if (!this.#need(8, "int64")) return 0n;
    const v = this.#view.getBigInt64(this.#pos);
    this.#pos += 8;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  /** A 16-byte UUID, as bytes. */
  uuid(): Uint8Array {
    return this.raw(16, "uuid");
  }

  /** An unsigned varint of at most 32 bits (lengths and tags). */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (!this.#need(1, "varint")) return 0;
      const b = this.#bytes[this.#pos++]!;
      if (i === 4 && b > 0x0f) {
        this.fail("varint is longer than 32 bits");
        return 0;
      }
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    this.fail("varint is longer than 5 bytes");
    return 0;
  }

  /** `n` raw bytes (a view, not a copy). */
  raw(n: number, what = "bytes"): Uint8Array {
    if (n < 0) {
      this.fail(`${what} has a negative length`);
      return new Uint8Array(0);
    }
    if (!this.#need(n, what)) return new Uint8Array(0);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** The length of a string, bytes or array field: -1 for null. */
  #length(compact: boolean, wide: boolean, what: string): number {
    if (compact) return this.uvarint() - 1;
    const n = wide ? this.int32() : this.int16();
    if (n < -1) this.fail(`${what} has length ${n}`);
    return n;
  }

  /** A (possibly compact) string; `null` only when `nullable` allows it (otherwise a failure). */
  string(compact: boolean, nullable: boolean): string | null {
    const n = this.#length(compact, false, "string");
    if (this.#error !== null) return nullable ? null : "";
    if (n === -1) {
      if (!nullable) this.fail("a non-nullable string is null");
      return nullable ? null : "";
    }
    const bytes = this.raw(n, "string");
    if (this.#error !== null) return "";
    try {
      return UTF8.decode(bytes);
    } catch {
      this.fail("string is not valid UTF-8");
      return "";
    }
  }

  /** (Possibly compact) bytes, as a view; `null` only when `nullable` allows it. */
  bytes(compact: boolean, nullable: boolean): Uint8Array | null {
    const n = this.#length(compact, true, "bytes");
    if (this.#error !== null) return nullable ? null : new Uint8Array(0);
    if (n === -1) {
      if (!nullable) this.fail("non-nullable bytes are null");
      return nullable ? null : new Uint8Array(0);
    }
    return this.raw(n, "bytes");
  }

  /**
   * The element count of a (possibly compact) array: -1 for null (a failure unless `nullable`).
   * A count larger than the bytes left is a failure: every element takes at least one byte.
   */
  arrayLength(compact: boolean, nullable: boolean): number {
    const n = this.#length(compact, true, "array");
    if (this.#error !== null) return 0;
    if (n === -1) {
      if (!nullable) this.fail("a non-nullable array is null");
      return -1;
    }
    if (n > this.remaining) {
      this.fail(`array of ${n} elements cannot fit in ${this.remaining} bytes`);
      return 0;
    }
    return n;
  }

  /** Skips a tagged-field section (flexible versions); tags must ascend strictly. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    if (count > this.remaining) this.fail(`${count} tagged fields cannot fit in ${this.remaining} bytes`);
    let last = -1;
    for (let i = 0; i < count && this.#error === null; i++) {
      const tag = this.uvarint();
      if (tag <= last) this.fail("tagged fields are not in ascending tag order");
      last = tag;
      this.raw(this.uvarint(), "tagged field");
    }
  }
}

/** Writes Kafka primitives into a growing buffer. Values out of a type's range are a caller bug. */
export class WireWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.#room(1);
    this.#view.setInt8(this.#pos, v);
    this.#pos += 1;
    return this;
  }

  int16(v: number): this {
    this.#room(2);
    this.#view.setInt16(this.#pos, v);
    this.#pos += 2;
    return this;
  }

  int32(v: number): this {
    this.#room(4);
    this.#view.setInt32(this.#pos, v);
    this.#pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.#room(8);
    this.#view.setBigInt64(this.#pos, BigInt.asIntN(64, v));
    this.#pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  uvarint(v: number): this {
    let rest = v >>> 0;
    while (rest >= 0x80) {
      this.raw(Uint8Array.of((rest & 0x7f) | 0x80));
      rest >>>= 7;
    }
    return this.raw(Uint8Array.of(rest));
  }

  raw(bytes: Uint8Array): this {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /** A length prefix: -1 for null. */
  #length(n: number, compact: boolean, wide: boolean): this {
    if (compact) return this.uvarint(n + 1);
    return wide ? this.int32(n) : this.int16(n);
  }

  string(v: string | null, compact: boolean): this {
    if (v === null) return this.#length(-1, compact, false);
    const bytes = UTF8_ENCODER.encode(v);
    return this.#length(bytes.length, compact, false).raw(bytes);
  }

  bytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return this.#length(-1, compact, true);
    return this.#length(v.length, compact, true).raw(v);
  }

  arrayLength(n: number, compact: boolean): this {
    return this.#length(n, compact, true);
  }

  /** An empty tagged-field section. */
  noTaggedFields(): this {
    return this.uvarint(0);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}
