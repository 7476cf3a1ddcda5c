/**
 * HTTP/1.1 load generators of the HTTP proxy benchmark:
 *
 * - {@link wrk}: the closed-loop peak (Debian's `wrk`, one thread, N keep-alive connections), a
 *   native client so the load generator takes as little of the 2 cores as possible.
 * - {@link openLoop}: a rate-limited open-loop client (`open-loop.c`, native for the same reason):
 *   requests fall due at a fixed rate and go out on N keep-alive connections (no pipelining),
 *   queued when every connection is busy. Each latency runs from the moment its request fell due
 *   to the last byte of its response, so queueing behind a slow response counts, as in wrk2.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What one wrk run measured. */
export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly errors: number;
}

/**
 * Runs `wrk -t1 -cN -dS` against `url` with `method` (a Lua script in `dir` sets it) and reads its
 * summary. Non-2xx answers and socket errors count as errors.
 */
export function wrk(url: string, method: string, connections: number, seconds: number, dir: string): Promise<WrkResult> {
  const script = join(dir, `wrk-${method}.lua`);
  writeFileSync(script, `wrk.method = "${method}"\n`);
  return new Promise((resolve, reject) => {
    execFile(
      "wrk",
      ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-s", script, url],
      { encoding: "utf8", timeout: (seconds + 20) * 1000, killSignal: "SIGKILL" },
      (e, stdout, stderr) => {
        if (e !== null) {
          const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
          return reject(new Error(missing ? "wrk is not installed: run scripts/setup.sh" : `wrk failed: ${e.message} ${stderr}`));
        }
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        const requests = /(\d+) requests in/.exec(stdout);
        if (rps === null || requests === null) return reject(new Error(`cannot read wrk's output:\n${stdout}`));
        const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
        const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
        const sockErrors = sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0);
        resolve({ rps: Number(rps[1]), requests: Number(requests[1]), errors: non2xx + sockErrors });
      },
    );
  });
}

/** What one open-loop run measured (after its warm-up). */
export interface OpenLoopResult {
  /** Requests per second due in the measured window (the offered rate). */
  readonly offeredRps: number;
  /** Requests per second of those due in the measured window that were answered (by the end of the drain). */
  readonly achievedRps: number;
  /** Non-200 answers, requests on broken connections, requests still unanswered at the end. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export interface OpenLoopOptions {
  readonly port: number;
  readonly request: string;
  readonly rps: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Compiles the native open-loop client (`open-loop.c`) into `dir`; returns its path. */
export function buildOpenLoop(dir: string): string {
  const out = join(dir, "open-loop");
  try {
    execFileSync("clang", ["-O2", "-o", out, fileURLToPath(new URL("open-loop.c", import.meta.url))], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(missing ? "clang is not installed: run scripts/setup.sh" : `cannot build open-loop.c: ${(e as Error).message}`);
  }
  return out;
}

/** Runs the native open-loop client built by {@link buildOpenLoop} (`open-loop.c` says how it measures). */
export function openLoop(binary: string, o: OpenLoopOptions): Promise<OpenLoopResult> {
  const seconds = (o.warmupMs + o.durationMs) / 1000;
  const args = [o.port, o.rps, o.connections, o.warmupMs, o.durationMs].map(String);
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [...args, o.request],
      { encoding: "utf8", timeout: (seconds + 20) * 1000, killSignal: "SIGKILL" },
      (e, stdout, stderr) => {
        if (e !== null) return reject(new Error(`open-loop failed: ${e.message} ${stderr}`));
        resolve(JSON.parse(stdout) as OpenLoopResult);
      },
    );
  });
}
