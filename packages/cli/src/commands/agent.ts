/**
 * `membrane agent …` and `membrane test --live`: both run the node agent (packages/agent), which
 * the CLI starts as its own process rather than importing — the CLI stays free of the datapath.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Output } from "../output.ts";
import { report, type TestReport } from "./test.ts";

/**
 * The agent hosts the L7 proxies, so it starts with their Node flags: `PROXY_NODE_FLAGS` of
 * packages/proxy/src/node-flags.ts, which says why (the CLI may not import the proxy package; a
 * test holds the two equal).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** Runs the agent's command line with `args`; its exit status, and its stdout when piped. */
export function runAgent(args: readonly string[], stdout: "inherit" | "pipe"): Promise<{ status: number; stdout: string }> {
  const main = fileURLToPath(import.meta.resolve("@membrane/agent/main"));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, main, ...args], { stdio: ["inherit", stdout, "inherit"] });
    // Stopping `membrane agent` stops the agent, which tears its lab down before exiting.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    let text = "";
    child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", (e) => {
      process.stderr.write(`membrane: cannot start the agent: ${e.message}\n`);
      resolve({ status: 2, stdout: "" });
    });
    child.on("close", (code) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve({ status: code ?? 2, stdout: text });
    });
  });
}

/** `membrane test --live`: the agent runs the cases in a lab and sends its report; it is printed like `membrane test`'s. */
export async function testLive(argv: readonly string[], output: "text" | "json" | "junit", out: Output): Promise<number> {
  // The agent takes the same paths and policy settings; the output choice stays here.
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--live") continue;
    if (a === "-o" || a === "--output") i++;
    else if (!a.startsWith("-o") && !a.startsWith("--output=")) args.push(a);
  }
  const r = await runAgent(["--live-test", ...args], "pipe");
  if (r.status !== 0) return r.status;
  return report(JSON.parse(r.stdout) as TestReport, output, out);
}
