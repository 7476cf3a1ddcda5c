import { HttpMatcher, type HeaderAction, type HttpRequest, type HttpRule, type L7Policy } from "@membrane/engine";
import { denialReason } from "../common/denial.ts";

/** What the proxy does with one request. */
export type RequestVerdict =
  | {
      readonly kind: "allow";
      /** The index of the first rule that matched, or null when the policy allows everything. */
      readonly rule: number | null;
      /** Header edits to make before forwarding (`log` ones are only recorded). */
      readonly actions: readonly HeaderAction[];
      /** Set when audit mode lets a denied request pass: why it would have been denied. */
      readonly audited?: string;
    }
  | { readonly kind: "deny"; readonly reason: string };

/**
 * Decides requests against a connection's L7 policy (`policy-semantics.md` §8.1): only `allow-all`
 * and `http` policies allow anything (see denialReason for the rest).
 */
export class RequestDecider {
  /** Compiled matchers per rule list, so a stable policy is compiled once. */
  readonly #matchers = new WeakMap<readonly HttpRule[], HttpMatcher>();

  /** The verdict on `request` under `policy`. */
  decide(policy: L7Policy, request: HttpRequest): RequestVerdict {
    switch (policy.kind) {
      case "allow-all":
        return { kind: "allow", rule: null, actions: [] };
      case "http": {
        let matcher = this.#matchers.get(policy.rules);
        if (matcher === undefined) {
          matcher = new HttpMatcher(policy.rules);
          this.#matchers.set(policy.rules, matcher);
        }
        const d = matcher.decide(request);
        return d.allowed
          ? { kind: "allow", rule: d.rule, actions: d.actions }
          : { kind: "deny", reason: "no HTTP rule matches the request" };
      }
      default:
        return { kind: "deny", reason: denialReason(policy, "HTTP") };
    }
  }
}
