/**
 * Typed access to the kernel's BPF syscalls through membrane's native addon (native/membrane_bpf.c,
 * built by scripts/setup.sh): load an object with its maps pinned, program map entries, and run a
 * program on a crafted packet (BPF_PROG_TEST_RUN). Failures are values naming the syscall and errno.
 */
import { createRequire } from "node:module";
import { err, ok, type Result } from "@membrane/engine";

/** A file descriptor of a loaded BPF program. */
export type ProgramFd = number & { readonly __brand: "ProgramFd" };
/** A file descriptor of a BPF map. */
export type MapFd = number & { readonly __brand: "MapFd" };

/** A kernel call that failed: which one, and its errno name (`EPERM`, `E2BIG`, …). */
export interface KernelError {
  readonly syscall: string;
  readonly code: string;
  readonly message: string;
}

/** A loaded BPF object: its programs and maps by name. Kept alive (and its fds open) while referenced. */
export interface BpfObject {
  readonly programs: ReadonlyMap<string, ProgramFd>;
  readonly maps: ReadonlyMap<string, MapFd>;
  /** The native object; the kernel objects are released when it is garbage collected. */
  readonly handle: unknown;
}

/** How an update treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export type UpdateMode = "any" | "create" | "replace";
const UPDATE_FLAGS: Record<UpdateMode, number> = { any: 0, create: 1, replace: 2 };

interface Addon {
  loadObject(path: string, pinDir: string): { handle: unknown; programs: Record<string, number>; maps: Record<string, number> };
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapDelete(fd: number, key: Buffer): boolean;
  testRun(fd: number, packet: Buffer, ifindex: number, mark: number): { retval: number; data: Buffer; mark: number };
  mapNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  possibleCpus(): number;
  pinProgram(fd: number, path: string): void;
  ringbufOpen(fd: number): unknown;
  ringbufConsume(handle: unknown): Buffer[];
  ringbufWatch(handle: unknown, callback: ((samples: Buffer[]) => void) | null): void;
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

function call<T>(f: (a: Addon) => T): Result<T, KernelError> {
  const a = native();
  if (!a.ok) return a;
  try {
    return ok(f(a.value));
  } catch (e) {
    const x = e as { code?: string; syscall?: string; message: string };
    return err({ syscall: x.syscall ?? "addon", code: x.code ?? "EINVAL", message: x.message });
  }
}

/** Loads a compiled BPF object (clang -target bpf), pinning every map as `pinDir/<name>` (existing pins are reused). */
export function loadObject(path: string, pinDir: string): Result<BpfObject, KernelError> {
  return call((a) => {
    const o = a.loadObject(path, pinDir);
    return {
      handle: o.handle,
      programs: new Map(Object.entries(o.programs).map(([k, fd]) => [k, fd as ProgramFd])),
      maps: new Map(Object.entries(o.maps).map(([k, fd]) => [k, fd as MapFd])),
    };
  });
}

/** Writes one map entry. */
export function mapUpdate(fd: MapFd, key: Buffer, value: Buffer, mode: UpdateMode = "any"): Result<void, KernelError> {
  return call((a) => a.mapUpdate(fd, key, value, UPDATE_FLAGS[mode]));
}

/** Reads one map entry (`valueSize` bytes); null when the key is absent. */
export function mapLookup(fd: MapFd, key: Buffer, valueSize: number): Result<Buffer | null, KernelError> {
  return call((a) => a.mapLookup(fd, key, valueSize));
}

/** Deletes one map entry; false when the key was absent. */
export function mapDelete(fd: MapFd, key: Buffer): Result<boolean, KernelError> {
  return call((a) => a.mapDelete(fd, key));
}

/** How a test packet arrives: on which device (0: loopback) and with which mark. */
export interface TestRunContext {
  readonly ifindex?: number;
  readonly mark?: number;
}

/** What a program did to a test packet: its return code, the packet as it left, and its mark. */
export interface TestRunResult {
  readonly retval: number;
  readonly data: Buffer;
  readonly mark: number;
}

/** Runs a program once on `packet` (BPF_PROG_TEST_RUN). */
export function testRun(fd: ProgramFd, packet: Buffer, ctx: TestRunContext = {}): Result<TestRunResult, KernelError> {
  return call((a) => a.testRun(fd, packet, ctx.ifindex ?? 0, ctx.mark ?? 0));
}

/** Every key of a map, in the kernel's order (`keySize` bytes each). */
export function mapKeys(fd: MapFd, keySize: number): Result<Buffer[], KernelError> {
  return call((a) => {
    const keys: Buffer[] = [];
    for (let k = a.mapNextKey(fd, null, keySize); k !== null; k = a.mapNextKey(fd, k, keySize)) keys.push(k);
    return keys;
  });
}

/** Every entry of a map (keys then values read one by one: entries changing meanwhile may be missed or stale). */
export function mapEntries(fd: MapFd, keySize: number, valueSize: number): Result<[Buffer, Buffer][], KernelError> {
  const keys = mapKeys(fd, keySize);
  if (!keys.ok) return keys;
  const out: [Buffer, Buffer][] = [];
  for (const k of keys.value) {
    const v = mapLookup(fd, k, valueSize);
    if (!v.ok) return v;
    if (v.value !== null) out.push([k, v.value]);
  }
  return ok(out);
}

/** How many CPUs a per-CPU map holds a value for. */
export function possibleCpus(): Result<number, KernelError> {
  return call((a) => a.possibleCpus());
}

/** Pins a loaded program at `path` on bpffs. */
export function pinProgram(fd: ProgramFd, path: string): Result<void, KernelError> {
  return call((a) => a.pinProgram(fd, path));
}

/** A reader of a BPF ring buffer map. */
export interface RingReader {
  /** Every sample waiting now; never blocks. */
  consume(): Result<Buffer[], KernelError>;
  /** Calls `onSamples` from the event loop each time samples arrive (one batch per wakeup); null stops. */
  watch(onSamples: ((samples: Buffer[]) => void) | null): Result<void, KernelError>;
}

/** Opens a reader on a ring buffer map. */
export function openRing(fd: MapFd): Result<RingReader, KernelError> {
  return call((a) => {
    const handle = a.ringbufOpen(fd);
    return {
      consume: () => call((b) => b.ringbufConsume(handle)),
      watch: (onSamples) => call((b) => b.ringbufWatch(handle, onSamples)),
    };
  });
}
