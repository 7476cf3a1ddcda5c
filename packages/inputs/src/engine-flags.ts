import {
  DEFAULT_ENGINE_OPTIONS,
  DEFAULT_RESOLVE_OPTIONS,
  DEFAULT_TRANSLATION_OPTIONS,
  DEFAULT_VALIDATION_OPTIONS,
  type EngineOptions,
  type ValidationOptions,
} from "@membrane/engine";

/** The flags every command that reads policies accepts: Cilium agent settings and membrane's semantics switch. */
export const ENGINE_FLAGS = {
  semantics: { type: "string", default: "cilium" },
  "cluster-name": { type: "string", default: "default" },
  "enable-policy": { type: "string", default: "default" },
  "enable-host-firewall": { type: "boolean", default: false },
  "ipblock-ingress-quirk": { type: "boolean", default: false },
  "enable-node-selector-labels": { type: "boolean", default: false },
  "enable-extended-ip-protocols": { type: "boolean", default: false },
  "disable-icmp-rules": { type: "boolean", default: false },
  "disable-l7-proxy": { type: "boolean", default: false },
  "policy-audit-mode": { type: "boolean", default: false },
} as const;

/** Help text for ENGINE_FLAGS. */
export const ENGINE_FLAGS_HELP = `Policy settings (Cilium's defaults otherwise):
  --semantics cilium|kubernetes    kubernetes: ipBlocks also match pod and node IPs, policyTypes is strict
  --cluster-name NAME              the local cluster's name (default "default")
  --enable-policy default|always|never
  --enable-host-firewall           enforce host policies (CCNP nodeSelector)
  --ipblock-ingress-quirk          reproduce Cilium main's NetworkPolicy ingress ipBlock quirk (E51)
  --enable-node-selector-labels    allow fromNodes/toNodes
  --enable-extended-ip-protocols   allow VRRP/IGMP and empty ports
  --disable-icmp-rules             reject icmps (enable-icmp-rules=false)
  --disable-l7-proxy               reject L7 rules (enable-l7-proxy=false)
  --policy-audit-mode              would-be drops pass and are reported AUDIT (also per namespace, pod
                                   or policy: label or annotation policy.membrane.dev/audit-mode=enabled)`;

type Values = { readonly [K in keyof typeof ENGINE_FLAGS]?: string | boolean | undefined };

/** Validation options from the flags. */
export function validationOptions(v: Values): ValidationOptions {
  return {
    ...DEFAULT_VALIDATION_OPTIONS,
    enableNodeSelectorLabels: v["enable-node-selector-labels"] === true,
    enableExtendedIpProtocols: v["enable-extended-ip-protocols"] === true,
    enableIcmpRules: v["disable-icmp-rules"] !== true,
    enableL7Proxy: v["disable-l7-proxy"] !== true,
  };
}

/** Engine options from the flags, or a usage error. */
export function engineOptions(v: Values): EngineOptions | string {
  const semantics = v.semantics ?? "cilium";
  if (semantics !== "cilium" && semantics !== "kubernetes") return `--semantics must be cilium or kubernetes, not "${String(semantics)}"`;
  const mode = v["enable-policy"] ?? "default";
  if (mode !== "default" && mode !== "always" && mode !== "never")
    return `--enable-policy must be default, always or never, not "${String(mode)}"`;
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    semantics,
    translation: {
      ...DEFAULT_TRANSLATION_OPTIONS,
      clusterName: String(v["cluster-name"] ?? "default"),
      ipBlockIngressQuirk: v["ipblock-ingress-quirk"] === true,
    },
    resolve: { ...DEFAULT_RESOLVE_OPTIONS, enforcementMode: mode, hostFirewall: v["enable-host-firewall"] === true },
    auditMode: v["policy-audit-mode"] === true,
  };
}
