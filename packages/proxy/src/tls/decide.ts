import { serverNameVerdict, type L7Policy } from "@membrane/engine";
import { denialReason } from "../common/denial.ts";

/** Whether a TLS connection naming `serverName` may pass, and why (for its record and log line). */
export type SniVerdict = { readonly kind: "allow"; readonly why: string } | { readonly kind: "deny"; readonly why: string };

/**
 * Cilium's SNI filter (`policy-semantics.md` §8.6): the connection passes when its ClientHello
 * names a server matching one of the policy's `serverNames`; no name never matches. A peer allowed
 * on the port without TLS rules passes whatever it names. membrane terminates no TLS: a policy that
 * needs it (TLS contexts without `serverNames`) leaves nothing to match, so its connections fail
 * closed, as does any policy that is not TLS's.
 */
export function decideSni(policy: L7Policy, serverName: string | null): SniVerdict {
  if (policy.kind === "allow-all") return { kind: "allow", why: policy.why };
  if (policy.kind !== "tls") return { kind: "deny", why: denialReason(policy, "TLS") };
  const v = serverNameVerdict(policy.serverNames, serverName);
  return { kind: v.allowed ? "allow" : "deny", why: v.why };
}
