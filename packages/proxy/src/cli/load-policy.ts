import { Engine, err, loadScenario, ok, PROTO, type L7Policy, type Problem, type Result } from "@membrane/engine";
import { readInputs } from "@membrane/inputs";
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
  const inputs = await readInputs(args.policyPaths);
  const scenario = loadScenario(inputs.documents);
  const problems = [...inputs.problems, ...scenario.problems]
    .filter((x: Problem) => x.severity === "error")
    .map((p) => `${p.file}:${p.line}:${p.column}: ${p.code}: ${p.message}`);
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
