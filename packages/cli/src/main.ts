import type { CaseL7 } from "@membrane/engine";
import { parseArgs } from "node:util";
import { endpointList } from "./commands/endpoint-list.ts";
import { identityList } from "./commands/identity-list.ts";
import { matrix } from "./commands/matrix.ts";
import { policyGet } from "./commands/policy-get.ts";
import { policySelectors } from "./commands/policy-selectors.ts";
import { test } from "./commands/test.ts";
import { runAgent, testLive } from "./commands/agent.ts";
import { observe } from "./commands/observe.ts";
import { trace } from "./commands/trace.ts";
import { readStdin } from "@membrane/inputs";
import { validate } from "./commands/validate.ts";
import { ENGINE_FLAGS, ENGINE_FLAGS_HELP, engineOptions, validationOptions } from "@membrane/inputs";
import { processOutput, type Output } from "./output.ts";

const USAGE = `membrane: Cilium-compatible network policy

Usage:
  membrane validate <paths…> [-o text|json|yaml]
  membrane test <paths…> [-o text|json|junit] [--live [--timeout-ms N]]
  membrane agent --lab <paths…>
  membrane agent --node NAME <paths…> [--bpf-root DIR]
  membrane trace <paths…> --from X --to Y --port N [--protocol P] [-o text|json|yaml]
                 [--http-method M --http-path P --http-header K:V | --grpc-service S --grpc-method M |
                  --kafka-api-key K --kafka-topic T | --dns-query NAME | --tls-server-name NAME]
  membrane matrix <paths…> [--port N] [--protocol P] [-n NS | -A] [-o text|json|yaml]
  membrane policy get <namespace/pod> <paths…> [-o text|json|yaml]
  membrane policy selectors <paths…> [-o text|json|yaml]
  membrane endpoint list <paths…> [-n NS | -A] [-o text|wide|json|yaml]
  membrane identity list <paths…> [-o text|json|yaml]
  membrane observe [--server URL [-f] | --input-file FILE|-] [Hubble's filters: -n, --pod, --from-*/--to-*, -l, --identity,
                   --ip, --fqdn, --port, --verdict, --drop-reason-desc, -t, --protocol, --http-status,
                   --http-method, --http-path, --traffic-direction, --node-name, --not, --since,
                   --until, --last, --first, --all] [-o compact|dict|json|jsonpb|table]
                   [--print-policy-names] [--print-node-name]

\`test --live\` runs the cases as real traffic through membrane's eBPF datapath, in a lab of network
namespaces built from the cluster (Linux, root); a case fails when the wire and the engine disagree.
\`agent --lab\` keeps such a lab running and applies every edit of the policy files to the kernel.
\`agent --node NAME\` is the agent of this machine as node NAME of the cluster: NAME's pods, found
behind the devices their addresses are routed to (a CNI's veths), are enforced by the datapath
pinned under /sys/fs/bpf/membrane; stopping it leaves the kernel enforcing the last policy.

\`test --flows FILE\` and \`trace --flows FILE\` write the flows their cases produced (Hubble JSON);
with \`--live\`, the flows are the kernel's own events.

Paths are files, directories (read recursively: .yaml, .yml, .json) or - for stdin. For
\`test\`, each directory's own files form one scenario (its own cluster); files named directly form
another. Sides (--from/--to) are written as in ConnectivityTest: <namespace>/<pod>, an IP,
node:<name>, service:<namespace>/<name>.

${ENGINE_FLAGS_HELP}

Exit status: 0 success; 1 a test case failed; 2 invalid input or usage error.`;

const FLAGS = {
  ...ENGINE_FLAGS,
  output: { type: "string", short: "o" },
  from: { type: "string" },
  to: { type: "string" },
  port: { type: "string" },
  protocol: { type: "string", default: "TCP" },
  "http-method": { type: "string" },
  "http-path": { type: "string" },
  "http-header": { type: "string", multiple: true },
  "grpc-service": { type: "string" },
  "grpc-method": { type: "string" },
  "kafka-api-key": { type: "string" },
  "kafka-topic": { type: "string" },
  "dns-query": { type: "string" },
  "tls-server-name": { type: "string" },
  flows: { type: "string" },
  live: { type: "boolean", default: false },
  "timeout-ms": { type: "string" },
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

const OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  validate: ["text", "json", "yaml"],
  test: ["text", "json", "junit"],
  trace: ["text", "json", "yaml"],
  matrix: ["text", "json", "yaml"],
  "policy get": ["text", "json", "yaml"],
  "policy selectors": ["text", "json", "yaml"],
  "endpoint list": ["text", "wide", "json", "yaml"],
  "identity list": ["text", "json", "yaml"],
};

/** The request `trace` judges at L7, from --http-*, --grpc-*, --kafka-*, --dns-query or --tls-server-name. */
function l7Request(v: { readonly [k: string]: string | boolean | string[] | undefined }): CaseL7 | null {
  const s = (k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  if (s("http-method") !== undefined || s("http-path") !== undefined) {
    const headers = new Map(
      ((v["http-header"] as string[] | undefined) ?? []).map(
        (h) => [h.slice(0, h.indexOf(":")).trim(), h.slice(h.indexOf(":") + 1).trim()] as const,
      ),
    );
    return { kind: "http", method: s("http-method") ?? "GET", path: s("http-path") ?? "/", headers, host: null };
  }
  if (s("grpc-service") !== undefined) return { kind: "grpc", service: s("grpc-service")!, method: s("grpc-method") ?? "" };
  if (s("kafka-api-key") !== undefined)
    return { kind: "kafka", apiKey: s("kafka-api-key")!, topic: s("kafka-topic") ?? null, clientID: null, apiVersion: null };
  if (s("dns-query") !== undefined) return { kind: "dns", query: s("dns-query")! };
  if (s("tls-server-name") !== undefined) return { kind: "tls", serverName: s("tls-server-name")! };
  return null;
}

/** Runs the command line; returns the exit status. */
export async function run(argv: readonly string[], out: Output): Promise<number> {
  const usage = (message: string): number => {
    out.stderr(`membrane: ${message}\nRun 'membrane help' for usage.`);
    return 2;
  };
  if (argv[0] === "observe") return observe(argv.slice(1), out, readStdin, Date.now);
  if (argv[0] === "agent") return runAgent(argv.slice(1), "inherit").then((r) => r.status);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: FLAGS });
  } catch (e) {
    return usage((e as Error).message);
  }
  const [first, ...rest] = parsed.positionals;
  if (first === undefined || first === "help" || parsed.values.help) {
    out.stdout(USAGE);
    return first === undefined && !parsed.values.help ? 2 : 0;
  }
  const grouped = first === "policy" || first === "endpoint" || first === "identity";
  const command = grouped ? `${first} ${rest[0] ?? ""}` : first;
  const positionals = grouped ? rest.slice(1) : rest;
  const outputs = OUTPUTS[command];
  if (outputs === undefined) return usage(`unknown command "${command.trim()}"`);
  const v = parsed.values;
  const output = v.output ?? "text";
  if (!outputs.includes(output)) return usage(`${command}: -o must be one of ${outputs.join(", ")}, not "${output}"`);
  const options = engineOptions(v);
  if (typeof options === "string") return usage(options);
  const validation = validationOptions(v);
  const namespace = v["all-namespaces"] ? null : (v.namespace ?? null);
  const need = (n: number, what: string): string | undefined => (positionals.length < n ? `${command}: name ${what}` : undefined);
  const missing =
    command === "policy get"
      ? need(2, "an endpoint (<namespace>/<pod>) and at least one path")
      : need(1, "at least one file, directory or - for stdin");
  if (missing !== undefined) return usage(missing);
  const common = { output, validation, options };
  switch (command) {
    case "validate":
      return validate({ paths: positionals, output: output as "text" | "json" | "yaml", options: validation }, out);
    case "test":
      if (v.live) return testLive(argv, output as "text" | "json" | "junit", out);
      return test({ ...common, paths: positionals, output: output as "text" | "json" | "junit", flows: v.flows ?? null }, out);
    case "trace": {
      if (v.from === undefined || v.to === undefined || v.port === undefined) return usage("trace: --from, --to and --port are required");
      return trace(
        {
          ...common,
          paths: positionals,
          from: v.from,
          to: v.to,
          port: v.port,
          protocol: v.protocol,
          l7: l7Request(v),
          flows: v.flows ?? null,
        },
        out,
      );
    }
    case "matrix":
      return matrix({ ...common, paths: positionals, port: v.port ?? null, protocol: v.protocol, namespace }, out);
    case "policy get":
      return policyGet({ ...common, endpoint: positionals[0]!, paths: positionals.slice(1) }, out);
    case "policy selectors":
      return policySelectors({ ...common, paths: positionals }, out);
    case "endpoint list":
      return endpointList({ ...common, paths: positionals, namespace }, out);
    default:
      return identityList({ ...common, paths: positionals }, out);
  }
}

if (import.meta.main) {
  // A reader that stops early (`| head`) closes the pipe: that ends the output, not in an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  process.exitCode = await run(process.argv.slice(2), processOutput);
}
