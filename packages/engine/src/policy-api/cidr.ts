import { formatPrefix, masked, parseIp, parsePrefix, prefixContains, type IpPrefix } from "../net/ip.ts";
import type { Cidr } from "./types.ts";

/** A prefix both as bytes and as its canonical, masked text (`10.0.0.1/8` → `10.0.0.0/8`). */
export interface ParsedCidr {
  readonly prefix: IpPrefix;
  readonly cidr: Cidr;
}

/**
 * Reads `addr/len` as the CRD's `format: cidr` (Go's net.ParseCIDR) does; host bits are allowed
 * and masked away, as Cilium does.
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  const p = parsePrefix(text);
  if (p === undefined) return undefined;
  const m = masked(p);
  return { prefix: m, cidr: formatPrefix(m) as Cidr };
}

/** Reads a bare address as its full-length prefix (`1.2.3.4` → `1.2.3.4/32`). */
export function parseHostCidr(text: string): ParsedCidr | undefined {
  const a = parseIp(text);
  if (a === undefined) return undefined;
  const prefix = { addr: a, bits: a.bytes.length * 8 };
  return { prefix, cidr: formatPrefix(prefix) as Cidr };
}

/** Whether `except`'s address lies in `outer` (Cilium checks the address only, not the length). */
export function exceptInside(outer: ParsedCidr, except: IpPrefix): boolean {
  return prefixContains(outer.prefix, except.addr);
}
