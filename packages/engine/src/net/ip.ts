/**
 * IP addresses and prefixes as bytes, parsed with Go's netip rules (what Cilium uses): dotted
 * quads without leading zeros, RFC 4291 IPv6 text with an optional trailing dotted quad, no zones.
 */

/** An address family. */
export type Family = 4 | 6;

/** A parsed address: 4 or 16 bytes. */
export interface IpAddress {
  readonly family: Family;
  readonly bytes: Uint8Array;
}

/** A parsed prefix: the address (masked when `masked` is asked for) and its length. */
export interface IpPrefix {
  readonly addr: IpAddress;
  readonly bits: number;
}

/** Parses an IPv4 or IPv6 address, or returns undefined. */
export function parseIp(text: string): IpAddress | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return { family: 4, bytes };
}

function parseIpv6(text: string): IpAddress | undefined {
  if (text.includes("%")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  // An embedded dotted quad may only end the address (Go's netip): never before a `::`.
  const groups = (s: string, last: boolean): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (last && i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** Parses `addr/bits` (Go's netip.ParsePrefix: the length is decimal, no leading zeros). */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addr = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const bits = Number(lenText);
  if (bits > addr.bytes.length * 8) return undefined;
  return { addr, bits };
}

/** The prefix with every host bit cleared. */
export function masked(p: IpPrefix): IpPrefix {
  const bytes = new Uint8Array(p.addr.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p.bits - 8 * i));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { addr: { family: p.addr.family, bytes }, bits: p.bits };
}

/** Whether `addr` lies inside `prefix` (same family, first `bits` bits equal). */
export function prefixContains(prefix: IpPrefix, addr: IpAddress): boolean {
  if (prefix.addr.family !== addr.family) return false;
  for (let i = 0; i < prefix.bits; i++) {
    const byte = i >> 3;
    const bit = 0x80 >> (i & 7);
    if ((prefix.addr.bytes[byte]! & bit) !== (addr.bytes[byte]! & bit)) return false;
  }
  return true;
}

/** Formats an address canonically (RFC 5952 for IPv6: lowercase, longest zero run as `::`). */
export function formatIp(a: IpAddress): string {
  if (a.family === 4) return Array.from(a.bytes).join(".");
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a.bytes[i]! << 8) | a.bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Formats a prefix as `addr/bits`. */
export function formatPrefix(p: IpPrefix): string {
  return `${formatIp(p.addr)}/${p.bits}`;
}
