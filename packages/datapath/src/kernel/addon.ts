/**
 * membrane's native addon (native/membrane_bpf.c, built by scripts/setup.sh), loaded once. Every
 * call goes through `call`, which turns a thrown kernel error into a value naming the syscall and
 * errno.
 */
import { createRequire } from "node:module";
import { err, ok, type Result } from "@membrane/engine";

/** A kernel call that failed: which one, and its errno name (`EPERM`, `E2BIG`, …). */
export interface KernelError {
  readonly syscall: string;
  readonly code: string;
  readonly message: string;
}

/** What the kernel says a map is (bpf_map_info). */
export interface MapInfo {
  /** BPF_MAP_TYPE_* */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

export interface Addon {
  loadObject(path: string, pinDir: string): { handle: unknown; programs: Record<string, number>; maps: Record<string, number> };
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapDelete(fd: number, key: Buffer): boolean;
  testRun(
    fd: number,
    packet: Buffer,
    ifindex: number,
    mark: number,
    repeat: number,
  ): { retval: number; data: Buffer; mark: number; durationNs: number };
  mapNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  possibleCpus(): number;
  pinProgram(fd: number, path: string): void;
  openPinned(path: string): number;
  mapInfo(fd: number): MapInfo;
  ringbufOpen(fd: number): unknown;
  ringbufConsume(handle: unknown): Buffer[];
  ringbufWatch(handle: unknown, callback: ((samples: Buffer[]) => void) | null): void;
  socketIn(netnsPath: string | null, family: 4 | 6, stream: boolean): number;
  setSockOpt(fd: number, level: number, name: number, value: number): void;
  bindSocket(fd: number, ip: string, port: number): void;
}

/** Where scripts/setup.sh builds the addon. */
export const ADDON_PATH = new URL("../../build/membrane_bpf.node", import.meta.url);

let addon: Result<Addon, KernelError> | undefined;

function native(): Result<Addon, KernelError> {
  if (addon === undefined) {
    try {
      addon = ok(createRequire(import.meta.url)(ADDON_PATH.pathname) as Addon);
    } catch (e) {
      addon = err({
        syscall: "dlopen",
        code: (e as { code?: string }).code ?? "ENOENT",
        message: `membrane's BPF addon is not usable (${(e as Error).message}); run scripts/setup.sh as root`,
      });
    }
  }
  return addon;
}

export function call<T>(f: (a: Addon) => T): Result<T, KernelError> {
  const a = native();
  if (!a.ok) return a;
  try {
    return ok(f(a.value));
  } catch (e) {
    const x = e as { code?: string; syscall?: string; message: string };
    return err({ syscall: x.syscall ?? "addon", code: x.code ?? "EINVAL", message: x.message });
  }
}
