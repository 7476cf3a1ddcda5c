import { assertNever, err, formatIp, ok, parseIp, type Result } from "@membrane/engine";
import { encodeName, readName } from "./wire-name.ts";
import {
  CLASS_IN,
  HEADER_BYTES,
  MAX_MESSAGE_BYTES,
  RR_TYPE,
  type DnsHeader,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  type RecordData,
  type WireError,
} from "./wire-types.ts";

/**
 * The DNS message codec (RFC 1035 §4) over `Uint8Array`. Decoding never throws: hostile bytes
 * (truncation, pointer loops, counts larger than the message can hold, trailing bytes) come back
 * as a `WireError`. Encoding writes names uncompressed.
 */

/** The smallest question: the root name, type and class. */
const MIN_QUESTION_BYTES = 5;
/** The smallest record: the root name, type, class, TTL and an empty RDLENGTH. */
const MIN_RECORD_BYTES = 11;

/**
 * The RFC 1035 types whose data may hold compressed names, with their layout: `n` a name, `2` a
 * 16-bit field, `20` the SOA's five 32-bit fields. The decoder expands these names so the data
 * stands alone (RFC 3597 §4: no other type may be compressed).
 */
const NAME_LAYOUTS = new Map<number, readonly ("n" | 2 | 20)[]>([
  [RR_TYPE.NS, ["n"]],
  [RR_TYPE.MD, ["n"]],
  [RR_TYPE.MF, ["n"]],
  [RR_TYPE.MB, ["n"]],
  [RR_TYPE.MG, ["n"]],
  [RR_TYPE.MR, ["n"]],
  [RR_TYPE.PTR, ["n"]],
  [RR_TYPE.MINFO, ["n", "n"]],
  [RR_TYPE.MX, [2, "n"]],
  [RR_TYPE.SOA, ["n", "n", 20]],
]);

/** Reads a DNS message. Never throws. */
export function decodeMessage(msg: Uint8Array): Result<DnsMessage, WireError> {
  if (msg.length < HEADER_BYTES) return err({ offset: 0, message: `message is ${msg.length} bytes, shorter than a header` });
  if (msg.length > MAX_MESSAGE_BYTES) return err({ offset: 0, message: `message is longer than ${MAX_MESSAGE_BYTES} bytes` });
  const u16 = (at: number): number => (msg[at]! << 8) | msg[at + 1]!;
  const flags = u16(2);
  const header: DnsHeader = {
    id: u16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
  };
  const [qd, an, ns, ar] = [u16(4), u16(6), u16(8), u16(10)];
  // Every entry takes a few bytes at least: counts the message cannot hold are rejected up front.
  if (qd * MIN_QUESTION_BYTES + (an + ns + ar) * MIN_RECORD_BYTES > msg.length - HEADER_BYTES)
    return err({ offset: 4, message: `counts (${qd}, ${an}, ${ns}, ${ar}) do not fit in ${msg.length} bytes` });
  let pos = HEADER_BYTES;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const name = readName(msg, pos);
    if (!name.ok) return name;
    pos = name.value.next;
    if (pos + 4 > msg.length) return err({ offset: pos, message: "question runs past the end of the message" });
    questions.push({ name: name.value.name, type: u16(pos), class: u16(pos + 2) });
    pos += 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  const counts = [an, ns, ar];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const record = readRecord(msg, pos);
      if (!record.ok) return record;
      sections[s]!.push(record.value.record);
      pos = record.value.next;
    }
  }
  if (pos !== msg.length) return err({ offset: pos, message: `${msg.length - pos} bytes after the last record` });
  return ok({ header, questions, answers: sections[0]!, authorities: sections[1]!, additionals: sections[2]! });
}

function readRecord(msg: Uint8Array, at: number): Result<{ record: DnsRecord; next: number }, WireError> {
  const name = readName(msg, at);
  if (!name.ok) return name;
  const pos = name.value.next;
  if (pos + 10 > msg.length) return err({ offset: pos, message: "record header runs past the end of the message" });
  const type = (msg[pos]! << 8) | msg[pos + 1]!;
  const cls = (msg[pos + 2]! << 8) | msg[pos + 3]!;
  const ttl = ((msg[pos + 4]! << 24) | (msg[pos + 5]! << 16) | (msg[pos + 6]! << 8) | msg[pos + 7]!) >>> 0;
  const rdlength = (msg[pos + 8]! << 8) | msg[pos + 9]!;
  const start = pos + 10;
  const end = start + rdlength;
  if (end > msg.length) return err({ offset: pos + 8, message: "record data runs past the end of the message" });
  const data = readData(msg, type, cls, start, end);
  if (!data.ok) return data;
  return ok({ record: { name: name.value.name, type, class: cls, ttl, data: data.value }, next: end });
}

function readData(msg: Uint8Array, type: number, cls: number, start: number, end: number): Result<RecordData, WireError> {
  const length = end - start;
  if (type === RR_TYPE.A && cls === CLASS_IN) {
    if (length !== 4) return err({ offset: start, message: `A data is ${length} bytes, not 4` });
    return ok({ kind: "a", address: formatIp({ family: 4, bytes: msg.subarray(start, end) }) });
  }
  if (type === RR_TYPE.AAAA && cls === CLASS_IN) {
    if (length !== 16) return err({ offset: start, message: `AAAA data is ${length} bytes, not 16` });
    return ok({ kind: "aaaa", address: formatIp({ family: 6, bytes: msg.subarray(start, end) }) });
  }
  if (type === RR_TYPE.CNAME) {
    const target = readName(msg, start);
    if (!target.ok) return target;
    if (target.value.next !== end) return err({ offset: start, message: "CNAME target does not fill the record data" });
    return ok({ kind: "cname", target: target.value.name });
  }
  const layout = NAME_LAYOUTS.get(type);
  if (layout === undefined) return ok({ kind: "opaque", bytes: msg.slice(start, end) });
  return expandNames(msg, layout, start, end);
}

/** Rewrites data whose names may be compressed into self-contained bytes (names uncompressed). */
function expandNames(msg: Uint8Array, layout: readonly ("n" | 2 | 20)[], start: number, end: number): Result<RecordData, WireError> {
  const parts: Uint8Array[] = [];
  let pos = start;
  for (const field of layout) {
    if (field === "n") {
      const name = pos < end ? readName(msg, pos) : err({ offset: pos, message: "name runs past the record data" });
      if (!name.ok) return name;
      if (name.value.next > end) return err({ offset: pos, message: "name runs past the record data" });
      const bytes = encodeName(name.value.name);
      if (!bytes.ok) return err({ offset: pos, message: bytes.error });
      parts.push(bytes.value);
      pos = name.value.next;
    } else {
      if (pos + field > end) return err({ offset: pos, message: "fixed field runs past the record data" });
      parts.push(msg.slice(pos, pos + field));
      pos += field;
    }
  }
  if (pos !== end) return err({ offset: pos, message: `${end - pos} unexpected bytes at the end of the record data` });
  return ok({ kind: "opaque", bytes: concat(parts) });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes a DNS message (names uncompressed). Fails on a field out of range, a bad name or address, or a message over 65,535 bytes. */
export function encodeMessage(m: DnsMessage): Result<Uint8Array, WireError> {
  const h = m.header;
  const fail = (message: string): Result<never, WireError> => err({ offset: 0, message });
  if (!isUint(h.id, 16) || !isUint(h.opcode, 4) || !isUint(h.rcode, 4)) return fail("header field out of range");
  const counts = [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length];
  if (counts.some((c) => c > 0xffff)) return fail("too many entries in a section");
  const flags =
    (h.qr ? 0x8000 : 0) |
    (h.opcode << 11) |
    (h.aa ? 0x0400 : 0) |
    (h.tc ? 0x0200 : 0) |
    (h.rd ? 0x0100 : 0) |
    (h.ra ? 0x0080 : 0) |
    (h.z ? 0x0040 : 0) |
    (h.ad ? 0x0020 : 0) |
    (h.cd ? 0x0010 : 0) |
    h.rcode;
  const parts: Uint8Array[] = [u16s(h.id, flags, ...counts)];
  for (const q of m.questions) {
    const name = encodeName(q.name);
    if (!name.ok) return fail(name.error);
    if (!isUint(q.type, 16) || !isUint(q.class, 16)) return fail(`question ${q.name}: type or class out of range`);
    parts.push(name.value, u16s(q.type, q.class));
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
    const name = encodeName(r.name);
    if (!name.ok) return fail(name.error);
    if (!isUint(r.type, 16) || !isUint(r.class, 16) || !isUint(r.ttl, 32)) return fail(`record ${r.name}: type, class or TTL out of range`);
    const data = encodeData(r);
    if (!data.ok) return fail(`record ${r.name}: ${data.error}`);
    if (data.value.length > 0xffff) return fail(`record ${r.name}: data longer than 65535 bytes`);
    parts.push(name.value, u16s(r.type, r.class, r.ttl >>> 16, r.ttl & 0xffff, data.value.length), data.value);
  }
  const out = concat(parts);
  if (out.length > MAX_MESSAGE_BYTES) return fail(`message would be ${out.length} bytes, over ${MAX_MESSAGE_BYTES}`);
  return ok(out);
}

/** The bytes of an address of `family`, or null when the text is not one. */
function addressBytes(text: string, family: 4 | 6): Uint8Array | null {
  const a = parseIp(text);
  return a?.family === family ? a.bytes : null;
}

function encodeData(r: DnsRecord): Result<Uint8Array, string> {
  const d = r.data;
  switch (d.kind) {
    case "a": {
      const bytes = r.type === RR_TYPE.A && r.class === CLASS_IN ? addressBytes(d.address, 4) : null;
      return bytes === null ? err(`"${d.address}" is not the data of an IN A record`) : ok(bytes);
    }
    case "aaaa": {
      const bytes = r.type === RR_TYPE.AAAA && r.class === CLASS_IN ? addressBytes(d.address, 6) : null;
      return bytes === null ? err(`"${d.address}" is not the data of an IN AAAA record`) : ok(bytes);
    }
    case "cname":
      return r.type === RR_TYPE.CNAME ? encodeName(d.target) : err("CNAME data on a record that is not a CNAME");
    case "opaque":
      return ok(d.bytes);
    default:
      return assertNever(d);
  }
}

function isUint(n: number, bits: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < 2 ** bits;
}

function u16s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    out[2 * i] = (v >> 8) & 0xff;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}
