import { DEFAULT_DNS_CACHE_OPTIONS, type DnsCacheOptions } from "../fqdn/dns-cache.ts";
import { DEFAULT_RESOLVE_OPTIONS, type ResolveOptions } from "../policy/resolve.ts";
import { DEFAULT_TRANSLATION_OPTIONS, type TranslationOptions } from "../translate/rule-form.ts";

/**
 * Which semantics decide: Cilium's (default), or the upstream NetworkPolicy specification where
 * Cilium deliberately departs from it — an ipBlock then matches pod and node addresses too
 * (cilium/cilium#9209), and a NetworkPolicy's rules for a direction missing from policyTypes are
 * ignored (E10).
 */
export type Semantics = "cilium" | "kubernetes";

/** Everything that shapes the engine's answers. Passed explicitly; there is no global config. */
export interface EngineOptions {
  readonly semantics: Semantics;
  readonly translation: TranslationOptions;
  readonly resolve: ResolveOptions;
  readonly dns: DnsCacheOptions;
  /** `policy-audit-mode` for every endpoint: would-be drops pass and are reported AUDIT (§9). */
  readonly auditMode: boolean;
}

/** Cilium's defaults. */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  semantics: "cilium",
  translation: DEFAULT_TRANSLATION_OPTIONS,
  resolve: DEFAULT_RESOLVE_OPTIONS,
  dns: DEFAULT_DNS_CACHE_OPTIONS,
  auditMode: false,
};
