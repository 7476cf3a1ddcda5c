/** Running the system tools the lab and the agent drive (ip, tc, nsenter), with failures as values. */
import { spawn } from "node:child_process";
import { err, ok, type Result } from "@membrane/engine";

/** A command that failed: what ran and what it said. */
export interface CommandError {
  readonly command: string;
  readonly message: string;
}

/** Runs `cmd args…`, feeding `input` on stdin; resolves to its stdout, or an error with its stderr. */
export function run(cmd: string, args: readonly string[], input?: string): Promise<Result<string, CommandError>> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const command = [cmd, ...args].join(" ");
    child.on("error", (e) => resolve(err({ command, message: e.message })));
    child.on("close", (code) =>
      resolve(code === 0 ? ok(stdout) : err({ command, message: (stderr || stdout).trim() || `exit status ${code}` })),
    );
    // A command that exits before reading its input closes the pipe: its exit status tells what happened.
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** The path of a named network namespace (as `ip netns add` creates it). */
export const netnsPath = (name: string): string => `/run/netns/${name}`;

/**
 * Runs a command inside a named network namespace, keeping this mount namespace (bpffs stays
 * visible, unlike `ip netns exec`); null: in this process's own.
 */
export function inNetns(netns: string | null, cmd: string, args: readonly string[], input?: string): Promise<Result<string, CommandError>> {
  return netns === null ? run(cmd, args, input) : run("nsenter", [`--net=${netnsPath(netns)}`, cmd, ...args], input);
}

/** Runs `ip` commands as one batch (`ip -b -`), in a network namespace when given. */
export function ipBatch(netns: string | null, lines: readonly string[]): Promise<Result<string, CommandError>> {
  if (lines.length === 0) return Promise.resolve(ok(""));
  return run("ip", [...(netns === null ? [] : ["-n", netns]), "-b", "-"], lines.join("\n") + "\n");
}

/** Sets sysctls (`name=value`) in a named network namespace (null: this process's own). */
export function sysctls(netns: string | null, settings: readonly string[]): Promise<Result<string, CommandError>> {
  return inNetns(netns, "sysctl", ["-q", "-w", ...settings]);
}
