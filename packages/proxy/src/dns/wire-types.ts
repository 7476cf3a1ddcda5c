/**
 * The DNS message model (RFC 1035 §4): what the codec in `wire.ts` reads and writes. Names are in
 * presentation form — labels joined by dots, always ending in a dot (the root is `.`), with a
 * byte that is a dot or a backslash escaped as `\.` / `\\` and a byte outside printable ASCII
 * written `\DDD` (decimal) — so any wire name has exactly one text form and back.
 */

/** Resource record types the proxy cares about, with their numbers (RFC 1035, 3596, 6891). */
export const RR_TYPE = {
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  ANY: 255,
  CAA: 257,
} as const;

/** The Internet class. */
export const CLASS_IN = 1;

/** Response codes (RFC 1035 §4.1.1, header part only). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Operation codes (RFC 1035 §4.1.1, RFC 1996). */
export const OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** The fixed 12-byte header, flags unpacked. Counts are implied by the sections' lengths. */
export interface DnsHeader {
  /** The query ID (0–65535). */
  readonly id: number;
  /** QR: set in responses. */
  readonly qr: boolean;
  /** 4 bits. */
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The reserved Z bit (kept, so messages round-trip bit for bit). */
  readonly z: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** 4 bits (the header part; EDNS extends it in the OPT record's TTL). */
  readonly rcode: number;
}

/** One entry of the question section. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/**
 * A record's data: A, AAAA and CNAME decoded; everything else (OPT included) kept as bytes. For
 * the RFC 1035 types whose data may hold compressed names (NS, SOA, PTR, MX, …) the decoder expands
 * those names, so the bytes stand on their own and re-encode correctly.
 */
export type RecordData =
  | { readonly kind: "a"; readonly address: string }
  | { readonly kind: "aaaa"; readonly address: string }
  | { readonly kind: "cname"; readonly target: string }
  | { readonly kind: "opaque"; readonly bytes: Uint8Array };

/**
 * A resource record. For OPT (EDNS, RFC 6891) `class` is the requester's UDP payload size and
 * `ttl` packs the extended rcode, version and flags; both pass through unchanged.
 */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Unsigned 32 bits. */
  readonly ttl: number;
  readonly data: RecordData;
}

/** A whole DNS message. */
export interface DnsMessage {
  readonly header: DnsHeader;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** Why bytes are not a DNS message (or a message cannot be written): where and what. */
export interface WireError {
  /** Byte offset where decoding failed (0 when encoding). */
  readonly offset: number;
  readonly message: string;
}

/** The largest DNS message (the TCP length prefix is 16 bits). */
export const MAX_MESSAGE_BYTES = 65535;
/** The fixed header's size. */
export const HEADER_BYTES = 12;
/** A name's largest wire length (RFC 1035 §3.1). */
export const MAX_NAME_BYTES = 255;
/** A label's largest length (RFC 1035 §2.3.4). */
export const MAX_LABEL_BYTES = 63;

const TYPE_NAMES = new Map<number, string>(Object.entries(RR_TYPE).map(([name, n]) => [n, name]));

/** A type's mnemonic (`A`, `AAAA`, …), or `TYPE<n>` (RFC 3597) for one without a name here. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
