/**
 * Builds BPF objects from membrane's C sources (the repository's bpf/ folder) with clang, as
 * datapath-notes.md §2 measured: -O2 -g -target bpf, plus the multiarch include directory the
 * kernel UAPI headers need (`asm/types.h`).
 */
import { execFile } from "node:child_process";
import { arch } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { err, ok, type Result } from "@membrane/engine";
import type { KernelError } from "./bpf.ts";

/** The repository's bpf/ folder: include/ (shared structs) and lib/ (header-only libraries). */
export const BPF_SOURCE_DIR = fileURLToPath(new URL("../../../../bpf/", import.meta.url));

const MULTIARCH: Record<string, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };

/**
 * Compiles `source` (a C file) into the BPF object `out`, with `defines` as -D macros (map sizes);
 * clang's diagnostics are the error's message.
 */
export async function compileBpf(
  source: string,
  out: string,
  defines: Readonly<Record<string, string | number>> = {},
): Promise<Result<void, KernelError>> {
  const multiarch = MULTIARCH[arch()];
  if (multiarch === undefined) return err({ syscall: "clang", code: "ENOTSUP", message: `unsupported architecture ${arch()}` });
  const args = ["-O2", "-g", "-Wall", "-target", "bpf", `-I/usr/include/${multiarch}`, `-I${BPF_SOURCE_DIR}include`, `-I${BPF_SOURCE_DIR}`];
  try {
    const macros = Object.entries(defines).map(([k, v]) => `-D${k}=${v}`);
    await promisify(execFile)("clang", [...args, ...macros, "-c", source, "-o", out]);
    return ok(undefined);
  } catch (e) {
    const x = e as { code?: string | number; stderr?: string; message: string };
    return err({ syscall: "clang", code: typeof x.code === "string" ? x.code : "ECOMPILE", message: x.stderr || x.message });
  }
}
