import { err, ok, type Result } from "@membrane/engine";
import { parseHostPort, type HostPort } from "../common/host-port.ts";
import type { ProxyLimits } from "../http/limits.ts";

/** The standalone proxy's command line, read. */
export interface ProxyArgs {
  /** Which proxy: HTTP/1.1 + h2c, DNS (UDP and TCP), or TLS SNI. */
  readonly command: "http" | "dns" | "tls";
  readonly listen: HostPort;
  readonly upstream: HostPort;
  /** Manifest files and directories: the cluster and its policies. */
  readonly policyPaths: readonly string[];
  /** `namespace/pod` of the client. */
  readonly from: string;
  /** `namespace/pod` of the server. */
  readonly to: string;
  /** The destination port the policy is written for (dns: default 53). */
  readonly port: number;
  /** Whose policy applies: the server's ingress (http and tls default) or the client's egress (dns: always). */
  readonly direction: "ingress" | "egress";
  /** Print every flow record as a JSON line on stdout. */
  readonly flows: boolean;
  readonly limits: Partial<ProxyLimits>;
}

/** The usage text. */
export const USAGE = `usage: membrane-proxy http --listen HOST:PORT --upstream HOST:PORT --policy PATH... --from NS/POD --to NS/POD --port N
                          [--direction ingress|egress] [--flows] [--headers-timeout-ms N] [--idle-timeout-ms N]
       membrane-proxy dns  --listen HOST:PORT --upstream HOST:PORT --policy PATH... --from NS/POD --to NS/POD [--port N] [--flows]
       membrane-proxy tls  --listen HOST:PORT --upstream HOST:PORT --policy PATH... --from NS/POD --to NS/POD --port N
                          [--direction ingress|egress] [--flows]

http: the HTTP/1.1 + h2c L7 proxy for one connection context: the L7 policy the destination (ingress)
or the source (egress) enforces on --port for traffic between the two pods of the scenario in PATH.
dns: the DNS proxy (UDP and TCP) enforcing the DNS rules of --from's egress towards the DNS server
pod --to on --port (default 53, the policy's UDP entry); allowed queries go to --upstream.
tls: the TLS SNI proxy: a connection whose ClientHello names a server the policy's serverNames allow
passes through to --upstream unchanged (no TLS is terminated); any other is reset.
Prints {"listening":"HOST:PORT", ...} on stdout once ready; with --flows, one JSON line per flow record.`;

/** Reads the arguments after the program name; a message for the user when they are wrong. */
export function parseProxyArgs(argv: readonly string[]): Result<ProxyArgs, string> {
  const command = argv[0];
  if (command !== "http" && command !== "dns" && command !== "tls")
    return err(command === undefined ? "missing command: http, dns or tls" : `unknown command: ${command}`);
  const values = new Map<string, string>();
  const policyPaths: string[] = [];
  let flows = false;
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--flows") {
      flows = true;
      continue;
    }
    if (flag === "--policy") {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) policyPaths.push(argv[++i]!);
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) return err(`unknown flag: ${flag}`);
    const value = argv[i + 1];
    if (value === undefined) return err(`${flag} needs a value`);
    values.set(flag, value);
    i++;
  }
  for (const f of ["--listen", "--upstream", "--from", "--to"]) if (!values.has(f)) return err(`missing ${f}`);
  if (command !== "dns" && !values.has("--port")) return err("missing --port");
  if (command !== "http")
    for (const f of ["--headers-timeout-ms", "--idle-timeout-ms"]) if (values.has(f)) return err(`${command}: ${f} applies to http only`);
  if (command === "dns") {
    // DNS rules exist only in egress (Cilium's PortRuleDNS sits under egress toPorts alone).
    if (values.has("--direction") && values.get("--direction") !== "egress") return err("dns: --direction can only be egress");
  }
  if (policyPaths.length === 0) return err("missing --policy");
  const listen = parseHostPort(values.get("--listen")!);
  if (listen === null) return err("--listen must be HOST:PORT");
  const upstream = parseHostPort(values.get("--upstream")!);
  if (upstream === null) return err("--upstream must be HOST:PORT");
  const port = Number(values.get("--port") ?? 53);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return err("--port must be a port number");
  const direction = values.get("--direction") ?? (command === "dns" ? "egress" : "ingress");
  if (direction !== "ingress" && direction !== "egress") return err("--direction must be ingress or egress");
  const limits: { -readonly [K in keyof ProxyLimits]?: ProxyLimits[K] } = {};
  for (const [flag, key] of [
    ["--headers-timeout-ms", "headersTimeoutMs"],
    ["--idle-timeout-ms", "idleTimeoutMs"],
  ] as const) {
    const v = values.get(flag);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) return err(`${flag} must be a positive integer`);
    limits[key] = n;
  }
  const from = values.get("--from")!;
  const to = values.get("--to")!;
  return ok({ command, listen, upstream, policyPaths, from, to, port, direction, flows, limits });
}

const VALUE_FLAGS = new Set([
  "--listen",
  "--upstream",
  "--from",
  "--to",
  "--port",
  "--direction",
  "--headers-timeout-ms",
  "--idle-timeout-ms",
]);
