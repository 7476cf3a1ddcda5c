import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Engine, err, loadScenario, ok, PROTO, type L7Policy, type Problem, type Result, type SourceDocument } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import type { ConnectionContext } from "../http/connection.ts";
import type { ProxyArgs } from "./args.ts";

/** The policy and connection context the standalone proxy runs with. */
export interface StandalonePolicy {
  readonly policy: L7Policy;
  readonly context: ConnectionContext;
}

/**
 * Loads the scenario of `args.policyPaths` into an engine and computes the L7 policy of the
 * connection from `args.from` to `args.to` on `args.port` (TCP for http, UDP for dns). Any error-level problem in the
 * manifests fails the load: a proxy must not run with a policy it only partly read.
 */
export async function loadStandalonePolicy(args: ProxyArgs): Promise<Result<StandalonePolicy, string>> {
  const documents: SourceDocument[] = [];
  const problems: string[] = [];
  for (const p of args.policyPaths) {
    const files = await expand(p);
    if (!files.ok) return files;
    for (const file of files.value) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        return err(`cannot read ${file}: ${(e as Error).message}`);
      }
      const parsed = parseManifest(file, text);
      documents.push(...parsed.documents);
      for (const i of parsed.issues) problems.push(`${file}:${i.pos.line}:${i.pos.column}: ${i.code}: ${i.message}`);
    }
  }
  const scenario = loadScenario(documents);
  for (const p of scenario.problems.filter((x: Problem) => x.severity === "error"))
    problems.push(`${p.file}:${p.line}:${p.column}: ${p.code}: ${p.message}`);
  if (problems.length > 0) return err(problems.join("\n"));
  const engine = new Engine(scenario.cluster, scenario.policies);
  const from = engine.endpoint(args.from);
  if (from === undefined) return err(`no pod endpoint ${args.from} in the scenario`);
  const to = engine.endpoint(args.to);
  if (to === undefined) return err(`no pod endpoint ${args.to} in the scenario`);
  const proto = args.command === "dns" ? PROTO.UDP : PROTO.TCP;
  const policy =
    args.direction === "ingress"
      ? engine.l7PolicyOf(to, "ingress", from.identity, proto, args.port)
      : engine.l7PolicyOf(from, "egress", to.identity, proto, args.port);
  return ok({ policy, context: { sourceIdentity: from.identity.id, destination: to.key, port: args.port, direction: args.direction } });
}

/** A path's manifest files: itself, or a directory's .yaml, .yml and .json files (recursively, by name). */
async function expand(path: string): Promise<Result<string[], string>> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    return err(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!s.isDirectory()) return ok([path]);
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const child = join(path, e.name);
    if (e.isDirectory()) {
      const sub = await expand(child);
      if (!sub.ok) return sub;
      out.push(...sub.value);
    } else if (/\.(ya?ml|json)$/.test(e.name)) out.push(child);
  }
  return ok(out);
}
