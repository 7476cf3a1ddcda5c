import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Compiles a BPF C source of this folder with clang into a temporary directory, removed by `remove()`. */
export function compileFixture(name: string): { readonly path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "membrane-bpf-"));
  const out = join(dir, name.replace(/\.c$/, ".o"));
  const multiarch = arch() === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  execFileSync("clang", [
    "-O2",
    "-g",
    "-target",
    "bpf",
    `-I/usr/include/${multiarch}`,
    "-c",
    fileURLToPath(new URL(name, import.meta.url)),
    "-o",
    out,
  ]);
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
