import type { L7Policy } from "@membrane/engine";

/**
 * Why a proxy for `protocol` denies a request under a policy that says nothing about that
 * protocol. The proxy fails closed: a `conflict` is what Cilium refuses to program,
 * `not-redirected` means the connection should not have reached the proxy at all, and any other
 * parser kind belongs to another proxy.
 */
export function denialReason(policy: L7Policy, protocol: string): string {
  switch (policy.kind) {
    case "conflict":
      return `policy conflict: ${policy.message}`;
    case "not-redirected":
      return "the connection is not redirected to the proxy by policy";
    default:
      return `the port's L7 policy is ${policy.kind}, not ${protocol}`;
  }
}
