/** Crafted packets for BPF_PROG_TEST_RUN: IPv4/IPv6 with TCP, UDP or ICMP, in an Ethernet frame. */
import { parseIp } from "@membrane/engine";

export interface PacketSpec {
  readonly src: string;
  readonly dst: string;
  readonly proto: "tcp" | "udp" | "icmp";
  readonly sport?: number;
  readonly dport?: number;
  /** TCP flags byte (default SYN). */
  readonly tcpFlags?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
  /** For ICMP errors: the quoted IP packet (an `ipPacket` result). */
  readonly quote?: Buffer;
  /** IPv4 fragment offset in 8-byte units (non-zero: a later fragment). */
  readonly fragmentOffset?: number;
  /** IPv6: a hop-by-hop options header of this many bytes (a multiple of 8) before the L4 header. */
  readonly hopByHopBytes?: number;
}

/** An IPv6 hop-by-hop options header of `bytes` bytes, padded with one PadN option (RFC 8200 §4.2). */
function hopByHop(next: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b[0] = next;
  b[1] = bytes / 8 - 1;
  b[2] = 1;
  b[3] = bytes - 4;
  return b;
}

export const TCP = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

function address(text: string): Uint8Array {
  const a = parseIp(text);
  if (a === undefined) throw new Error(`bad test address ${text}`);
  return a.bytes;
}

function l4(spec: PacketSpec, v6: boolean): Buffer {
  switch (spec.proto) {
    case "tcp": {
      const b = Buffer.alloc(20);
      b.writeUInt16BE(spec.sport ?? 40000, 0);
      b.writeUInt16BE(spec.dport ?? 80, 2);
      b[12] = 5 << 4;
      b[13] = spec.tcpFlags ?? TCP.syn;
      return b;
    }
    case "udp": {
      const b = Buffer.alloc(8);
      b.writeUInt16BE(spec.sport ?? 40000, 0);
      b.writeUInt16BE(spec.dport ?? 53, 2);
      b.writeUInt16BE(8, 4);
      return b;
    }
    case "icmp": {
      const b = Buffer.alloc(8);
      b[0] = spec.icmpType ?? (v6 ? 128 : 8);
      b[1] = spec.icmpCode ?? 0;
      b.writeUInt16BE(spec.icmpId ?? 7, 4);
      return spec.quote === undefined ? b : Buffer.concat([b, spec.quote]);
    }
  }
}

const PROTO = { tcp: 6, udp: 17 } as const;

/** An IP packet (no Ethernet header). */
export function ipPacket(spec: PacketSpec): Buffer {
  const src = address(spec.src);
  const dst = address(spec.dst);
  const v6 = src.length === 16;
  const payload = l4(spec, v6);
  const proto = spec.proto === "icmp" ? (v6 ? 58 : 1) : PROTO[spec.proto];
  if (v6) {
    const ext = spec.hopByHopBytes === undefined ? Buffer.alloc(0) : hopByHop(proto, spec.hopByHopBytes);
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(ext.length + payload.length, 4);
    h[6] = ext.length > 0 ? 0 : proto;
    h[7] = 64;
    h.set(src, 8);
    h.set(dst, 24);
    return Buffer.concat([h, ext, payload]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(spec.fragmentOffset ?? 0, 6);
  h[8] = 64;
  h[9] = proto;
  h.set(src, 12);
  h.set(dst, 16);
  return Buffer.concat([h, spec.fragmentOffset ? Buffer.alloc(8) : payload]);
}

/** An IP packet in an Ethernet frame. */
export function frame(spec: PacketSpec): Buffer {
  const ip = ipPacket(spec);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip]);
}

/** An ARP request frame (contents do not matter to the datapath). */
export function arpFrame(): Buffer {
  const b = Buffer.alloc(42);
  b.writeUInt16BE(0x0806, 12);
  return b;
}
