import type { FqdnSelector, HttpRule, KafkaRule } from "../policy-api/types.ts";
import type { L7Parser } from "../policy/map-state.ts";

/**
 * What the L7 proxy enforces for one connection (one source identity, one destination endpoint, one
 * port and direction), as Cilium hands it to Envoy and its DNS proxy (`policy-semantics.md` §6.4,
 * §8.1): a peer allowed on the port by any rule without L7 is allowed every request; otherwise the
 * union of the L7 rules that cover it applies.
 */
export type L7Policy =
  | { readonly kind: "not-redirected" }
  | { readonly kind: "allow-all"; readonly parser: L7Parser; readonly why: string }
  | { readonly kind: "http"; readonly rules: readonly HttpRule[] }
  | { readonly kind: "kafka"; readonly rules: readonly KafkaRule[] }
  | { readonly kind: "dns"; readonly rules: readonly FqdnSelector[] }
  | { readonly kind: "l7proto"; readonly l7proto: string; readonly rules: readonly ReadonlyMap<string, string>[] }
  | { readonly kind: "tls"; readonly serverNames: readonly string[] }
  | { readonly kind: "conflict"; readonly message: string };
