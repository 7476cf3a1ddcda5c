import type { Policy } from "../policy-api/types.ts";
import { assertNever } from "../result.ts";
import { translateCiliumPolicy } from "./from-cilium.ts";
import { translateNetworkPolicy } from "./from-network-policy.ts";
import { DEFAULT_TRANSLATION_OPTIONS, type RuleEntry, type TranslationOptions } from "./rule-form.ts";

/** Translates a validated policy of any kind into the engine's rule entries. */
export function translatePolicy(policy: Policy, options: TranslationOptions = DEFAULT_TRANSLATION_OPTIONS): RuleEntry[] {
  switch (policy.kind) {
    case "NetworkPolicy":
      return translateNetworkPolicy(policy, options);
    case "CiliumNetworkPolicy":
    case "CiliumClusterwideNetworkPolicy":
      return translateCiliumPolicy(policy, options);
    default:
      return assertNever(policy);
  }
}
