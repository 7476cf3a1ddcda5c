import { HttpMatcher, assertNever, type HeaderAction, type HttpRequest, type HttpRule, type L7Policy } from "@membrane/engine";

/** What the proxy does with one request. */
export type RequestVerdict =
  | {
      readonly kind: "allow";
      /** The index of the first rule that matched, or null when the policy allows everything. */
      readonly rule: number | null;
      /** Header edits to make before forwarding (`log` ones are only recorded). */
      readonly actions: readonly HeaderAction[];
    }
  | { readonly kind: "deny"; readonly reason: string };

/**
 * Decides requests against a connection's L7 policy (`policy-semantics.md` §8.1).
 *
 * Why deny by default: only `allow-all` and `http` policies say anything about HTTP requests. A
 * `conflict` is what Cilium refuses to program; `not-redirected` means the connection should not
 * have reached the proxy at all; any other parser kind is not HTTP. In all of these the proxy
 * fails closed.
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
      case "conflict":
        return { kind: "deny", reason: `policy conflict: ${policy.message}` };
      case "not-redirected":
        return { kind: "deny", reason: "the connection is not redirected to the proxy by policy" };
      case "kafka":
      case "dns":
      case "l7proto":
      case "tls":
        return { kind: "deny", reason: `the port's L7 policy is ${policy.kind}, not HTTP` };
      default:
        return assertNever(policy);
    }
  }
}
