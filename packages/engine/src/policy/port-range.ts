/**
 * Port ranges as the datapath keys them (cilium/cilium pkg/policy/portrange.go): the smallest set
 * of (port, prefix length) pairs covering exactly [start, end], the prefix counted in bits of the
 * 16-bit port.
 */

/** A port prefix: the first `prefixLen` bits of `port` are fixed (16 = one port, 0 = all ports). */
export interface PortPrefix {
  readonly port: number;
  readonly prefixLen: number;
}

/** Splits an inclusive range into prefixes. `end` ≤ `start` means the single port `start`. */
export function rangeToPrefixes(start: number, end: number): PortPrefix[] {
  if (end <= start) return [{ port: start, prefixLen: start === 0 ? 0 : 16 }];
  if (start === 0 && end === 65535) return [{ port: 0, prefixLen: 0 }];
  const out: PortPrefix[] = [];
  let cur = start;
  while (cur <= end) {
    let size = 0;
    // Grow the block while it stays aligned at `cur` and inside the range.
    while (size < 16 && cur % 2 ** (size + 1) === 0 && cur + 2 ** (size + 1) - 1 <= end) size++;
    out.push({ port: cur, prefixLen: 16 - size });
    cur += 2 ** size;
  }
  return out;
}

/** Whether port prefix `outer` covers port `port`. */
export function prefixCoversPort(outer: PortPrefix, port: number): boolean {
  const shift = 16 - outer.prefixLen;
  return outer.prefixLen === 0 || port >>> shift === outer.port >>> shift;
}

/** Masks `port` to its first `prefixLen` bits. */
export function maskPort(port: number, prefixLen: number): number {
  return prefixLen === 0 ? 0 : (port >>> (16 - prefixLen)) << (16 - prefixLen);
}
