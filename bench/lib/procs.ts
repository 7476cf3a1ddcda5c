/**
 * Child processes of a benchmark: started with a deadline for readiness, stopped with SIGTERM then
 * SIGKILL, and killed anyway when the benchmark process exits (or fails) first.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The Node binary the benchmarks run on (Node 24: `.ts` files run by type stripping). */
export const NODE = process.execPath;

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Node's CPU profiler flags for the proxies under test, when BENCH_CPU_PROF names a directory. */
export function profileFlags(name: string): string[] {
  const dir = process.env["BENCH_CPU_PROF"];
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    process.exit(130);
  });
}

/** A started child: the process and the JSON object of its first stdout line. */
export interface Started<T> {
  readonly child: ChildProcess;
  readonly ready: T;
}

/**
 * Spawns `command args` and waits (at most `timeoutMs`) for its first stdout line, a JSON object
 * saying it is ready. Its stderr goes to ours; its later stdout lines are discarded.
 */
export async function spawnReady<T>(command: string, args: readonly string[], timeoutMs = 10_000): Promise<Started<T>> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] } satisfies SpawnOptions);
  children.add(child);
  child.once("exit", () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      once(lines, "line").then(([l]) => String(l)),
      once(child, "exit").then(([code, signal]) => {
        throw new Error(`${command} ${args.join(" ")} exited (${String(code ?? signal)}) before it was ready`);
      }),
      once(child, "error").then(([e]) => {
        throw new Error(`${command}: ${(e as Error).message}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")}: not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    // Keep reading stdout so the child never blocks on a full pipe.
    lines.on("line", () => undefined);
    return { child, ready: JSON.parse(line) as T };
  } catch (e) {
    await stop(child);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Spawns a child that says nothing when ready (its stdout and stderr go to ours). */
export function spawnPlain(command: string, args: readonly string[]): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.on("error", () => undefined);
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A TCP port of 127.0.0.1 that is free right now. */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether 127.0.0.1:`port` accepts TCP connections within `timeoutMs` (polled every 20 ms). */
export async function waitTcp(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * The CPU the load generators run on; {@link SERVER_CPU} the one every server under test runs on.
 * The 2 cores are split so the load generator never takes CPU from what it measures (and the other
 * way round), as the datapath notes measured pod-to-pod traffic.
 */
export const CLIENT_CPU = 0;
export const SERVER_CPU = 1;

/** `command args` wrapped to run on `cpu` only (`taskset` execs it: the pid stays the command's). */
export function onCpu(cpu: number, command: string, args: readonly string[]): [string, string[]] {
  return ["taskset", ["-c", String(cpu), command, ...args]];
}

/** Pins this process (every thread of it) and the children it spawns from now on to `cpu`. */
export function pinSelf(cpu: number): void {
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { stdio: "ignore" });
}

/** Logs a line of progress on stderr (stdout carries only the result line). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The `q` quantile (0..1) of samples (sorted in place), nearest-rank. */
export function quantile(samples: Float64Array | number[], q: number): number {
  if (samples.length === 0) return NaN;
  samples.sort((a, b) => a - b);
  const rank = Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1));
  return samples[rank]!;
}
