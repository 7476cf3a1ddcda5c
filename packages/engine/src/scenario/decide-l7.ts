import type { ChangeSet, Engine } from "../engine/engine.ts";
import { grpcRequest, HttpMatcher } from "../l7/http.ts";
import { kafkaAllows } from "../l7/kafka.ts";
import { compileDnsPattern, matchesName, serverNameVerdict } from "../l7/dns-pattern.ts";
import type { L7Policy } from "../l7/l7-policy.ts";
import { KAFKA_API_KEYS } from "../policy-api/vocabulary.ts";
import { PROTO } from "../policy/protocol.ts";
import type { FlowVerdict, SideDecision } from "../verdict/decide.ts";
import { formatPeerRef, type FlowPeerRef } from "../verdict/flow.ts";
import type { CaseL7 } from "./connectivity-test.ts";

/** The L7 outcome of a request on an allowed connection: decided, or why it cannot be decided offline. */
export type L7Outcome =
  | { readonly kind: "allow" | "deny"; readonly why: string; /** a denial audit mode let pass */ readonly audited?: true }
  | { readonly kind: "unsupported"; readonly why: string };

/**
 * Decides a case's request at every proxy its connection is redirected through (egress at the
 * source, ingress at the destination): it passes only if each proxy allows it.
 */
export function decideL7(engine: Engine, v: FlowVerdict, to: FlowPeerRef, req: CaseL7, protocol: keyof typeof PROTO): L7Outcome {
  let last: L7Outcome = { kind: "allow", why: "no proxy on the way: every request passes" };
  let audited = false;
  for (const side of [v.egress, v.ingress]) {
    if (side === null || side.outcome !== "redirect") continue;
    const outcome = decideAtProxy(engine, side, v, to, req, protocol);
    if (outcome.kind !== "allow") return outcome;
    audited ||= outcome.audited === true;
    last = outcome;
  }
  return audited ? { ...last, audited: true } : last;
}

function decideAtProxy(
  engine: Engine,
  side: SideDecision,
  v: FlowVerdict,
  to: FlowPeerRef,
  req: CaseL7,
  protocol: keyof typeof PROTO,
): L7Outcome {
  const ep = engine.endpoint(side.endpoint);
  if (ep === undefined) return { kind: "unsupported", why: `L7 rules of host policies are not decided offline (${side.endpoint})` };
  const policy = engine.l7PolicyOf(ep, side.direction, side.peer, PROTO[protocol], v.port);
  const at = `${side.direction} proxy at ${side.endpoint}`;
  const outcome = judge(policy, req, requestHost(to, v.port), at);
  if (outcome.kind === "deny" && engine.l7Audited(ep, side.direction, side.peer.id, PROTO[protocol], v.port))
    return { kind: "allow", why: `${outcome.why} — AUDIT: audit mode lets it pass`, audited: true };
  return outcome;
}

function judge(policy: L7Policy, req: CaseL7, host: string, at: string): L7Outcome {
  switch (policy.kind) {
    case "not-redirected":
      return { kind: "allow", why: `${at}: not redirected` };
    case "allow-all":
      return { kind: "allow", why: `${at}: ${policy.why}` };
    case "conflict":
      return { kind: "deny", why: `${at}: ${policy.message}` };
    case "tls": {
      if (req.kind !== "tls")
        return { kind: "deny", why: `${at}: the TLS SNI proxy resets a connection that does not begin with a ClientHello` };
      const v = serverNameVerdict(policy.serverNames, req.serverName);
      return v.allowed ? { kind: "allow", why: `${at}: ${v.why}` } : { kind: "deny", why: `${at}: ${v.why}: reset` };
    }
    case "l7proto":
      return { kind: "unsupported", why: `${at}: proxylib parser "${policy.l7proto}" is not decided offline` };
    case "http": {
      if (req.kind !== "http" && req.kind !== "grpc")
        return { kind: "deny", why: `${at}: the HTTP proxy cannot parse a ${req.kind} request` };
      const request =
        req.kind === "grpc"
          ? grpcRequest(req.service, req.method, host)
          : {
              method: req.method,
              path: req.path,
              host: req.host ?? host,
              headers: new Map([...req.headers].map(([k, val]) => [k.toLowerCase(), [val]])),
            };
      const d = new HttpMatcher(policy.rules).decide(request);
      return d.allowed
        ? { kind: "allow", why: `${at}: HTTP rule ${d.rule} matches ${request.method} ${request.path}` }
        : { kind: "deny", why: `${at}: no HTTP rule matches ${request.method} ${request.path}: 403 Access denied` };
    }
    case "kafka": {
      if (req.kind !== "kafka") return { kind: "deny", why: `${at}: the Kafka proxy cannot parse a ${req.kind} request` };
      const apiKey = /^[0-9]+$/.test(req.apiKey) ? Number(req.apiKey) : KAFKA_API_KEYS.get(req.apiKey.toLowerCase());
      if (apiKey === undefined) return { kind: "deny", why: `${at}: unknown Kafka apiKey "${req.apiKey}"` };
      const ok = kafkaAllows(policy.rules, {
        apiKey,
        apiVersion: req.apiVersion ?? 0,
        clientID: req.clientID ?? "",
        topics: req.topic === null ? [] : [req.topic],
      });
      return ok
        ? { kind: "allow", why: `${at}: a Kafka rule allows ${req.apiKey}${req.topic ? ` on ${req.topic}` : ""}` }
        : {
            kind: "deny",
            why: `${at}: no Kafka rule allows ${req.apiKey}${req.topic ? ` on ${req.topic}` : ""}: TOPIC_AUTHORIZATION_FAILED`,
          };
    }
    case "dns": {
      if (req.kind !== "dns") return { kind: "deny", why: `${at}: the DNS proxy cannot parse a ${req.kind} request` };
      const hit = policy.rules.find((r) =>
        r.kind === "matchName" ? matchesName(r.matchName, req.query) : compileDnsPattern(r.matchPattern)(req.query),
      );
      return hit
        ? { kind: "allow", why: `${at}: ${hit.kind === "matchName" ? hit.matchName : hit.matchPattern} matches ${req.query}` }
        : { kind: "deny", why: `${at}: no DNS rule matches ${req.query}: REFUSED` };
    }
  }
}

/** The Host an HTTP client sends for the destination as written (a service's DNS name, else the address). */
export function requestHost(to: FlowPeerRef, port: number): string {
  const name = to.kind === "service" ? `${to.name}.${to.namespace}.svc.cluster.local` : to.kind === "fqdn" ? to.fqdn : formatPeerRef(to);
  return port === 80 ? name : `${name}:${port}`;
}

/**
 * A `{fqdn, ip}` case: the source resolved the name, then connected to the answer. The answer only
 * teaches the DNS cache when it passed a DNS proxy (§8.5, E31): membrane checks that the source's
 * egress DNS rules allow the name (approximating "some DNS-proxy rule on the node saw it").
 */
export function learnThroughProxy(engine: Engine, from: FlowPeerRef, name: string, ip: string): ChangeSet | null {
  const ep = from.kind === "pod" ? engine.endpointIn(from.namespace, from.name) : undefined;
  if (ep === undefined) return null;
  const allowed = engine
    .policyOf(ep)
    .egress.entries.filter((e) => !e.deny && e.ports !== "all")
    .some((e) =>
      (e.ports === "all" ? [] : e.ports).some(
        (pr) =>
          pr.l7?.kind === "dns" &&
          pr.l7.rules.some((r) => (r.kind === "matchName" ? matchesName(r.matchName, name) : compileDnsPattern(r.matchPattern)(name))),
      ),
    );
  return allowed ? engine.learnDnsAnswer(name, [ip], 3600, 0) : null;
}
