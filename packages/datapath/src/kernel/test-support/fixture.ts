import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBpf } from "../compile.ts";

/** A compiled BPF object in a temporary directory, removed by `remove()`. */
export interface CompiledObject {
  readonly path: string;
  remove(): void;
}

/** Compiles a BPF C source (absolute path) for a test; a compile error fails the test. */
export async function compileForTest(source: string, defines: Readonly<Record<string, string | number>> = {}): Promise<CompiledObject> {
  const dir = mkdtempSync(join(tmpdir(), "membrane-bpf-"));
  const out = join(dir, "object.o");
  const r = await compileBpf(source, out, defines);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return { path: out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh pin directory on bpffs for one test, removed by `remove()`. */
export function pinDirectory(): { readonly path: string; remove(): void } {
  const path = `/sys/fs/bpf/membrane-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(path);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** An Ethernet + IPv4 + UDP packet from `src` to `dst` (dotted quads). */
export function ipv4Packet(src: string, dst: string): Buffer {
  const packet = Buffer.alloc(14 + 20 + 8);
  packet.writeUInt16BE(0x0800, 12);
  packet[14] = 0x45;
  packet.writeUInt16BE(28, 16);
  packet[22] = 64;
  packet[23] = 17;
  Buffer.from(src.split(".").map(Number)).copy(packet, 26);
  Buffer.from(dst.split(".").map(Number)).copy(packet, 30);
  packet.writeUInt16BE(40000, 34);
  packet.writeUInt16BE(53, 36);
  packet.writeUInt16BE(8, 38);
  return packet;
}
