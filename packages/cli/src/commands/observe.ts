import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  compactLine,
  dictBlock,
  encodeQuery,
  isFilterFlag,
  PLAIN_FILTERS as PLAIN,
  queryPredicate,
  selectFlows,
  SIDED_FILTERS as SIDED,
  tableRows,
  type FilterFlag,
  type FlowQuery,
  type HubbleFlow,
  type FlowRecord,
} from "@membrane/engine";
import type { Output } from "../output.ts";

const SHORT: Readonly<Record<string, string>> = { namespace: "n", label: "l", type: "t" };

const OPTIONS = {
  ...Object.fromEntries(
    SIDED.flatMap((k) => [
      [k, { type: "string", multiple: true, ...(SHORT[k] ? { short: SHORT[k] } : {}) }],
      [`from-${k}`, { type: "string", multiple: true }],
      [`to-${k}`, { type: "string", multiple: true }],
    ]),
  ),
  ...Object.fromEntries(PLAIN.map((k) => [k, { type: "string", multiple: true, ...(SHORT[k] ? { short: SHORT[k] } : {}) }])),
  "all-namespaces": { type: "boolean", short: "A" },
  not: { type: "boolean", multiple: true },
  "input-file": { type: "string" },
  server: { type: "string" },
  output: { type: "string", short: "o", default: "compact" },
  last: { type: "string" },
  first: { type: "string" },
  all: { type: "boolean" },
  since: { type: "string" },
  until: { type: "string" },
  follow: { type: "boolean", short: "f" },
  "print-policy-names": { type: "boolean" },
  "print-node-name": { type: "boolean" },
} as const;

/**
 * `membrane observe`: Hubble's `observe` over an agent's flows (`--server`, default Hubble's
 * 127.0.0.1:4245; `-f` follows) or recorded flows (`--input-file FILE|-`, Hubble's own JSON exports
 * included). Values of one flag OR together, flags AND together, `--not` negates the
 * next flag. Outputs: compact (default), dict, json/jsonpb, table.
 */
export async function observe(argv: readonly string[], out: Output, stdin: () => Promise<string>, now: () => number): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, tokens: true, strict: true });
  } catch (e) {
    out.stderr(`membrane observe: ${(e as Error).message}`);
    return 2;
  }
  const v = parsed.values as Record<string, string | string[] | boolean | boolean[] | undefined>;
  const file = v["input-file"] as string | undefined;
  const server = (v["server"] as string | undefined) ?? DEFAULT_SERVER;
  const follow = v["follow"] === true;
  if (follow && file !== undefined) {
    out.stderr("membrane observe: --follow streams from an agent (--server), not from --input-file");
    return 2;
  }
  const format = String(v["output"]);
  if (!["compact", "dict", "json", "jsonpb", "table"].includes(format)) {
    out.stderr(`membrane observe: -o must be compact, dict, json, jsonpb or table, not "${format}"`);
    return 2;
  }
  // Values of one flag OR together; flags AND together into Hubble's one allow filter, and each
  // flag after --not is a deny filter of its own.
  const groups = new Map<string, { flag: string; negate: boolean; values: string[] }>();
  let negate = false;
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    if (t.name === "not") {
      negate = true;
      continue;
    }
    if (t.value === undefined || !isFilterFlag(t.name)) continue;
    const key = `${negate ? "!" : ""}${t.name}`;
    const g = groups.get(key) ?? { flag: t.name, negate, values: [] };
    g.values.push(t.value);
    groups.set(key, g);
    negate = false;
  }
  const window = timeWindow(v["since"] as string | undefined, v["until"] as string | undefined, now());
  if (typeof window === "string") {
    out.stderr(`membrane observe: ${window}`);
    return 2;
  }
  const n = (k: string): number | null => (v[k] === undefined ? null : Number(v[k]));
  // Hubble's defaults: the last 20 flows, all of them since --since or with --all; following, the last --last (0).
  const flags = [...groups.values()];
  const plain = flags.filter((g) => !g.negate).map(({ flag, values }): FilterFlag => ({ flag, values }));
  const query: FlowQuery = {
    allow: plain.length > 0 ? [plain] : [],
    deny: flags.filter((g) => g.negate).map(({ flag, values }) => [{ flag, values }]),
    ...window,
    first: follow ? null : n("first"),
    number: follow ? (n("last") ?? 0) : v["all"] || n("first") !== null ? null : (n("last") ?? (window.since !== null ? null : 20)),
    follow,
  };
  const matches = queryPredicate(query);
  if (!matches.ok) {
    out.stderr(`membrane observe: ${matches.error}`);
    return 2;
  }
  const source = file ?? `${server}/v1/flows`;
  /** One JSON line of a file or of the agent, as a flow (its record's node name inside). */
  const parse = (line: string, where: string): HubbleFlow | null => {
    if (line.trim() === "") return null;
    let rec: FlowRecord | HubbleFlow;
    try {
      rec = JSON.parse(line) as FlowRecord | HubbleFlow;
    } catch {
      out.stderr(`membrane observe: ${where}: not a JSON flow; skipped`);
      return null;
    }
    const nodeName = "flow" in rec ? (rec.flow.node_name ?? rec.node_name) : rec.node_name;
    return "flow" in rec ? { ...rec.flow, ...(nodeName === undefined ? {} : { node_name: nodeName }) } : rec;
  };
  const opts = { policyNames: v["print-policy-names"] === true, nodeName: v["print-node-name"] === true };
  const print = (selected: readonly HubbleFlow[]): void => {
    if (format === "json" || format === "jsonpb")
      for (const f of selected) out.stdout(JSON.stringify({ flow: f, node_name: f.node_name ?? "", time: f.time }));
    else if (format === "table") out.stdout(tableRows(selected, opts));
    else for (const f of selected) out.stdout(format === "dict" ? dictBlock(f, opts) : compactLine(f, opts));
  };
  // The agent selects what the query asks (Hubble's server-side filters); a file is selected here.
  const url = `${server}/v1/flows?${new URLSearchParams(encodeQuery(query)).toString()}`;
  if (follow) return followAgent(url, server, parse, print, out);
  const text =
    file === "-" ? await stdin() : file !== undefined ? await readFile(file, "utf8").catch((e: Error) => e) : await fetchText(url);
  if (text instanceof Error) {
    out.stderr(
      `membrane observe: cannot read ${source}: ${text.message}${file === undefined ? " (is `membrane agent --lab` running? or read recorded flows with --input-file FILE|-)" : ""}`,
    );
    return 2;
  }
  const flows = text.split("\n").flatMap((line, i) => parse(line, `${file ?? source}:${i + 1}`) ?? []);
  print(file === undefined ? flows : selectFlows(flows, query, matches.value));
  return 0;
}

/** Hubble's default server address (hubble-relay's port); `membrane agent --lab` serves there. */
const DEFAULT_SERVER = "http://127.0.0.1:4245";
/** The line the agent sends between a follower's history and the live flows (packages/agent/src/server). */
const HISTORY_END = '{"history_end":true}';

async function fetchText(url: string): Promise<string | Error> {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
  } catch (e) {
    return e instanceof Error && e.cause instanceof Error ? e.cause : (e as Error);
  }
}

/** `-f`: the agent's selection of its ring (the last `--last` matching flows), then every new matching flow until interrupted. */
async function followAgent(
  url: string,
  server: string,
  parse: (line: string, where: string) => HubbleFlow | null,
  print: (flows: readonly HubbleFlow[]) => void,
  out: Output,
): Promise<number> {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  let res: Response;
  try {
    res = await fetch(url, { signal: stop.signal });
    if (!res.ok) {
      out.stderr(`membrane observe: ${server}: HTTP ${res.status}: ${(await res.text()).trim()}`);
      return 2;
    }
  } catch (e) {
    out.stderr(`membrane observe: cannot follow ${server}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`);
    return 2;
  }
  // The ring's flows come first, up to the agent's marker; what follows is printed as it comes.
  let backlog: HubbleFlow[] | null = [];
  let pending = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body!) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (backlog !== null && line === HISTORY_END) {
          print(backlog);
          backlog = null;
          continue;
        }
        const f = parse(line, server);
        if (backlog !== null) {
          if (f !== null) backlog.push(f);
          continue;
        }
        if (f !== null) print([f]);
      }
    }
  } catch (e) {
    if (!stop.signal.aborted) {
      out.stderr(`membrane observe: the stream from ${server} broke: ${(e as Error).message}`);
      return 1;
    }
  }
  return 0;
}

/** `--since/--until`: RFC 3339 or relative (`30s`, `5m`, `2h`, `1d` ago). */
function timeWindow(
  since: string | undefined,
  until: string | undefined,
  now: number,
): { since: number | null; until: number | null } | string {
  const parse = (s: string | undefined, flag: string): number | null | string => {
    if (s === undefined) return null;
    const rel = /^(\d+)(ms|s|m|h|d)$/.exec(s);
    if (rel !== null)
      return now - Number(rel[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "ms" | "s" | "m" | "h" | "d"];
    const t = Date.parse(s);
    return Number.isNaN(t) ? `--${flag}: "${s}" is neither a time (RFC 3339) nor a duration (e.g. 5m)` : t;
  };
  const a = parse(since, "since");
  const b = parse(until, "until");
  if (typeof a === "string") return a;
  if (typeof b === "string") return b;
  return { since: a, until: b };
}
