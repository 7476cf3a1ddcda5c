import { parseArgs } from "node:util";
import { DEFAULT_VALIDATION_OPTIONS } from "@membrane/engine";
import { validate } from "./commands/validate.ts";
import { processOutput, type Output } from "./output.ts";

const USAGE = `membrane: Cilium-compatible network policy

Usage:
  membrane validate <paths…> [-o text|json] [agent options]

Paths are files, directories (read recursively: .yaml, .yml, .json) or - for stdin.

Agent options (Cilium's defaults apply otherwise):
  --enable-node-selector-labels    allow fromNodes/toNodes
  --enable-extended-ip-protocols   allow VRRP/IGMP and empty ports
  --disable-icmp-rules             reject icmps (enable-icmp-rules=false)
  --disable-l7-proxy               reject L7 rules (enable-l7-proxy=false)

Exit status: 0 valid (warnings allowed), 2 invalid input or usage error.`;

/** Runs the command line; returns the exit status. */
export async function run(argv: readonly string[], out: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    out.stdout(USAGE);
    return command === undefined ? 2 : 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o", default: "text" },
        "enable-node-selector-labels": { type: "boolean", default: false },
        "enable-extended-ip-protocols": { type: "boolean", default: false },
        "disable-icmp-rules": { type: "boolean", default: false },
        "disable-l7-proxy": { type: "boolean", default: false },
      },
    });
  } catch (e) {
    out.stderr(`membrane ${command}: ${(e as Error).message}`);
    return 2;
  }
  const v = parsed.values;
  switch (command) {
    case "validate": {
      if (v.output !== "text" && v.output !== "json") {
        out.stderr(`membrane validate: -o must be text or json, not "${v.output}"`);
        return 2;
      }
      if (parsed.positionals.length === 0) {
        out.stderr("membrane validate: name at least one file, directory or - for stdin");
        return 2;
      }
      return validate(
        {
          paths: parsed.positionals,
          output: v.output,
          options: {
            ...DEFAULT_VALIDATION_OPTIONS,
            enableNodeSelectorLabels: v["enable-node-selector-labels"],
            enableExtendedIpProtocols: v["enable-extended-ip-protocols"],
            enableIcmpRules: !v["disable-icmp-rules"],
            enableL7Proxy: !v["disable-l7-proxy"],
          },
        },
        out,
      );
    }
    default:
      out.stderr(`membrane: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2), processOutput);
}
