/**
 * Hand-written Kafka bytes for tests, independent of the codec under test: each helper returns
 * the bytes of one primitive, `cat` joins them, and `frame` adds the size prefix.
 */

const be = (n: number, size: number): number[] => {
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Number((BigInt.asUintN(size * 8, BigInt(n)) >> BigInt(8 * i)) & 0xffn));
  return out;
};

export const i8 = (n: number): number[] => be(n, 1);
export const i16 = (n: number): number[] => be(n, 2);
export const i32 = (n: number): number[] => be(n, 4);
export const i64 = (n: number | bigint): number[] => {
  const v = BigInt.asUintN(64, BigInt(n));
  return [...Array(8).keys()].map((i) => Number((v >> BigInt(8 * (7 - i))) & 0xffn));
};
export const bool = (b: boolean): number[] => [b ? 1 : 0];

/** An unsigned varint. */
export const uv = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

/** A classic string (int16 length); null is -1. */
export const str = (s: string | null): number[] => (s === null ? i16(-1) : [...i16(utf8(s).length), ...utf8(s)]);
/** A compact string (varint length + 1); null is 0. */
export const cstr = (s: string | null): number[] => (s === null ? [0] : [...uv(utf8(s).length + 1), ...utf8(s)]);
/** Classic bytes (int32 length); null is -1. */
export const byts = (b: number[] | null): number[] => (b === null ? i32(-1) : [...i32(b.length), ...b]);
/** Compact bytes. */
export const cbyts = (b: number[] | null): number[] => (b === null ? [0] : [...uv(b.length + 1), ...b]);
/** A classic array (int32 count) of already-encoded items; null is -1. */
export const arr = (items: number[][] | null): number[] => (items === null ? i32(-1) : [...i32(items.length), ...items.flat()]);
/** A compact array. */
export const carr = (items: number[][] | null): number[] => (items === null ? [0] : [...uv(items.length + 1), ...items.flat()]);
/** An empty tagged-field section. */
export const tags0: number[] = [0];
/** A UUID of 16 times `b`. */
export const uuid = (b: number): number[] => Array<number>(16).fill(b);

/** Joins parts into bytes. */
export const cat = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

/** A request header v1 (classic) or v2 (flexible: with an empty tagged-field section). */
export const header = (apiKey: number, version: number, correlationId: number, clientId: string | null, flexible = false): number[] => [
  ...i16(apiKey),
  ...i16(version),
  ...i32(correlationId),
  ...str(clientId),
  ...(flexible ? tags0 : []),
];

/** Prefixes a message with its int32 size. */
export const frame = (message: Uint8Array): Uint8Array => cat(i32(message.length), [...message]);
