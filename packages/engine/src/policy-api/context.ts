import { Reader } from "../source/reader.ts";
import type { PolicyKind } from "./types.ts";

/**
 * Agent settings that change what the agent accepts (`../shared/spec/policy-semantics.md` §0).
 * Defaults are Cilium's.
 */
export interface ValidationOptions {
  /** `enable-icmp-rules` (default true): `icmps` may be used. */
  readonly enableIcmpRules: boolean;
  /** `enable-l7-proxy` (default true): L7 rules may be used. */
  readonly enableL7Proxy: boolean;
  /** `enable-node-selector-labels` (default false): `fromNodes`/`toNodes` may be used. */
  readonly enableNodeSelectorLabels: boolean;
  /** `enable-extended-ip-protocols` (default false): VRRP/IGMP and empty ports. */
  readonly enableExtendedIpProtocols: boolean;
}

/** Cilium's defaults. */
export const DEFAULT_VALIDATION_OPTIONS: ValidationOptions = {
  enableIcmpRules: true,
  enableL7Proxy: true,
  enableNodeSelectorLabels: false,
  enableExtendedIpProtocols: false,
};

/** What parsing one policy object needs: the problem collector, the settings and the kind. */
export class PolicyReader extends Reader {
  readonly options: ValidationOptions;
  readonly kind: PolicyKind;

  constructor(options: ValidationOptions, kind: PolicyKind) {
    super();
    this.options = options;
    this.kind = kind;
  }
}
