import { matchesServerName, type L7Policy } from "@membrane/engine";

/** Whether a TLS connection naming `serverName` may pass, and why (for its record and log line). */
export type SniVerdict = { readonly kind: "allow"; readonly why: string } | { readonly kind: "deny"; readonly why: string };

/**
 * Cilium's SNI filter (`policy-semantics.md` §8.6): the connection passes when its ClientHello
 * names a server matching one of the policy's `serverNames` (the union of the rules on the
 * port); no name never matches. A peer allowed on the port without TLS rules passes whatever it
 * names. membrane terminates no TLS: a policy that needs it (TLS contexts without `serverNames`)
 * leaves nothing to match, so its connections fail closed.
 */
export function decideSni(policy: L7Policy, serverName: string | null): SniVerdict {
  switch (policy.kind) {
    case "allow-all":
      return { kind: "allow", why: policy.why };
    case "tls": {
      const hit = policy.serverNames.find((p) => matchesServerName(p, serverName));
      if (hit !== undefined) return { kind: "allow", why: `server name ${serverName} matches ${hit}` };
      if (serverName === null) return { kind: "deny", why: "the ClientHello names no server" };
      return { kind: "deny", why: `server name ${serverName} matches none of ${policy.serverNames.join(", ") || "(no serverNames)"}` };
    }
    case "conflict":
      return { kind: "deny", why: policy.message };
    case "not-redirected":
      return { kind: "deny", why: "no L7 policy redirects this connection" };
    default:
      return { kind: "deny", why: `the port's L7 policy is ${policy.kind}, not TLS` };
  }
}
