/**
 * Builds and loads the endpoint programs (bpf/endpoint.c) with every map pinned under one bpffs
 * directory — /sys/fs/bpf/membrane for the agent — and the programs pinned in its `programs/`
 * folder for tc to attach. Loading again (an agent restart, a program upgrade) reuses the pinned
 * maps, so policy, ipcache and conntrack survive (conntrack of an earlier layout is carried over
 * from its old pin: migrate-conntrack.ts; the caller retires that pin once the programs are
 * attached), and replaces the program pins.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { err, ok, type Result } from "@membrane/engine";
import { loadObject, pinProgram, type BpfObject, type KernelError, type MapFd, type ProgramFd } from "../kernel/bpf.ts";
import { BPF_SOURCE_DIR, compileBpf } from "../kernel/compile.ts";
import { adoptEarlierConntrack, staleConntrackPinned } from "./migrate-conntrack.ts";

/** The agent's pin directory. */
export const DEFAULT_PIN_DIR = "/sys/fs/bpf/membrane";

const MAPS = {
  policy: "membrane_policy",
  ipcache: "membrane_ipcache",
  endpoints: "membrane_endpoints",
  conntrack: "membrane_ct_v2",
  events: "membrane_events",
  config: "membrane_config",
  counters: "membrane_counters",
  proxyOrigins: "membrane_proxy_origins",
} as const;
const PROGRAMS = {
  fromContainer: "from_container",
  toContainer: "to_container",
  fromOverlay: "from_overlay",
  toProxy: "to_proxy",
  fromNetdev: "from_netdev",
  toNetdev: "to_netdev",
} as const;

/** The loaded datapath: its maps and programs, and where the programs are pinned. */
export interface Datapath {
  readonly object: BpfObject;
  readonly pinDir: string;
  readonly maps: { readonly [K in keyof typeof MAPS]: MapFd };
  readonly programs: { readonly [K in keyof typeof PROGRAMS]: ProgramFd };
  /** The bpffs path of a program, for `tc … object-pinned`. */
  programPin(name: keyof typeof PROGRAMS): string;
  /** What the load did that an operator should hear of: conntrack carried over from an earlier layout, or not. */
  readonly notices: readonly string[];
}

export interface LoadOptions {
  readonly pinDir?: string;
  /** -D macros: map sizes (POLICY_MAP_SIZE, CT_MAP_SIZE, …). */
  readonly defines?: Readonly<Record<string, string | number>>;
}

/** Compiles and loads the datapath, pinning maps and programs. */
export async function loadDatapath(options: LoadOptions = {}): Promise<Result<Datapath, KernelError>> {
  const pinDir = options.pinDir ?? DEFAULT_PIN_DIR;
  const build = mkdtempSync(join(tmpdir(), "membrane-datapath-"));
  try {
    const objectPath = join(build, "endpoint.o");
    const compiled = await compileBpf(join(BPF_SOURCE_DIR, "endpoint.c"), objectPath, options.defines ?? {});
    if (!compiled.ok) return compiled;
    mkdirSync(join(pinDir, "programs"), { recursive: true });
    const stale = staleConntrackPinned(pinDir);
    const loaded = loadObject(objectPath, pinDir);
    if (!loaded.ok) return loaded;
    const object = loaded.value;
    const maps = {} as Record<keyof typeof MAPS, MapFd>;
    for (const [k, name] of Object.entries(MAPS) as [keyof typeof MAPS, string][]) {
      const fd = object.maps.get(name);
      if (fd === undefined) return err({ syscall: "load", code: "ENOENT", message: `the datapath object has no map ${name}` });
      maps[k] = fd;
    }
    const adopted = adoptEarlierConntrack(pinDir, maps.conntrack, stale);
    const notices = adopted.ok
      ? adopted.value > 0
        ? [`conntrack: ${adopted.value} flows carried over from an earlier layout`]
        : []
      : [`conntrack: flows not carried over from an earlier layout (${adopted.error.message}): established flows are decided again`];
    const programs = {} as Record<keyof typeof PROGRAMS, ProgramFd>;
    const programPin = (k: keyof typeof PROGRAMS): string => join(pinDir, "programs", PROGRAMS[k]);
    for (const [k, name] of Object.entries(PROGRAMS) as [keyof typeof PROGRAMS, string][]) {
      const fd = object.programs.get(name);
      if (fd === undefined) return err({ syscall: "load", code: "ENOENT", message: `the datapath object has no program ${name}` });
      programs[k] = fd;
      // A pin from an earlier load is replaced; devices keep running what they attached until tc replaces it.
      rmSync(programPin(k), { force: true });
      const pinned = pinProgram(fd, programPin(k));
      if (!pinned.ok) return pinned;
    }
    return ok({ object, pinDir, maps, programs, programPin, notices });
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}
