/**
 * Typed access to the kernel's BPF syscalls through membrane's native addon (native/membrane_bpf.c,
 * built by scripts/setup.sh): load an object with its maps pinned, program map entries, and run a
 * program on a crafted packet (BPF_PROG_TEST_RUN). Failures are values naming the syscall and errno.
 */
import { ok, type Result } from "@membrane/engine";
import { call, type KernelError, type MapInfo } from "./addon.ts";

export type { KernelError, MapInfo } from "./addon.ts";

/** A file descriptor of a loaded BPF program. */
export type ProgramFd = number & { readonly __brand: "ProgramFd" };
/** A file descriptor of a BPF map. */
export type MapFd = number & { readonly __brand: "MapFd" };

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

/**
 * How a test packet arrives: on which device (0: loopback) and with which mark; `repeat` runs the
 * program that many times on the same skb (the kernel times them; what a run writes to the packet
 * or its mark, the next run sees; the result is the last run's).
 */
export interface TestRunContext {
  readonly ifindex?: number;
  readonly mark?: number;
  readonly repeat?: number;
}

/** What a program did to a test packet: its return code, the packet as it left, its mark, and the mean time a run took. */
export interface TestRunResult {
  readonly retval: number;
  readonly data: Buffer;
  readonly mark: number;
  readonly durationNs: number;
}

/** Runs a program on `packet` (BPF_PROG_TEST_RUN), once unless `ctx.repeat` says more. */
export function testRun(fd: ProgramFd, packet: Buffer, ctx: TestRunContext = {}): Result<TestRunResult, KernelError> {
  return call((a) => a.testRun(fd, packet, ctx.ifindex ?? 0, ctx.mark ?? 0, ctx.repeat ?? 1));
}

/**
 * Every key of a map, in the kernel's order (`keySize` bytes each). The walk stops after twice the
 * map's capacity: in a map written meanwhile (by the programs), a key deleted under the walk sends
 * it back to the first bucket, so keys may come twice but the walk always ends.
 */
export function mapKeys(fd: MapFd, keySize: number): Result<Buffer[], KernelError> {
  return call((a) => {
    const limit = 2 * a.mapInfo(fd).maxEntries;
    const keys: Buffer[] = [];
    for (let k = a.mapNextKey(fd, null, keySize); k !== null && keys.length < limit; k = a.mapNextKey(fd, k, keySize)) keys.push(k);
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

/** Opens a pinned map; close its fd (closeSync) when done. */
export function openPinnedMap(path: string): Result<MapFd, KernelError> {
  return call((a) => a.openPinned(path) as MapFd);
}

/** What the kernel says a map is: its type and sizes. */
export function mapInfo(fd: MapFd): Result<MapInfo, KernelError> {
  return call((a) => a.mapInfo(fd));
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
