import type { HttpRule } from "../policy-api/types.ts";
import { compileRe2, type Re2 } from "../regex/re2.ts";

/**
 * HTTP rule matching as Cilium's Envoy filter does (`policy-semantics.md` §8.1): a request is
 * allowed when any rule matches; inside a rule every set field must match. `method`, `path` and
 * `host` are RE2 full matches against `:method`, `:path` (query included) and `:authority`.
 */

/** The parts of a request the rules look at. Header names are lowercase. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

/** A header edit a matching rule asks for (headerMatches mismatch actions). */
export type HeaderAction =
  | { readonly kind: "log"; readonly name: string }
  | { readonly kind: "add"; readonly name: string; readonly value: string }
  | { readonly kind: "delete"; readonly name: string }
  | { readonly kind: "replace"; readonly name: string; readonly value: string };

/** The outcome for one request: allowed or not, which rule matched first, and the header edits to apply. */
export interface HttpDecision {
  readonly allowed: boolean;
  readonly rule: number | null;
  readonly actions: readonly HeaderAction[];
}

interface CompiledRule {
  readonly method: Re2 | null;
  readonly path: Re2 | null;
  readonly host: Re2 | null;
  readonly headers: readonly { readonly name: string; readonly value: string | null }[];
  readonly headerMatches: HttpRule["headerMatches"];
}

/** Compiled HTTP rules of one port; rules that fail to compile never match (validation rejects them). */
export class HttpMatcher {
  readonly #rules: readonly (CompiledRule | null)[];
  readonly #anyAction: boolean;

  constructor(rules: readonly HttpRule[]) {
    this.#rules = rules.map(compile);
    this.#anyAction = rules.some((r) => r.headerMatches.some((h) => h.mismatch !== null));
  }

  /** Decides a request. With any non-FAIL header match, every matching rule runs its actions. */
  decide(req: HttpRequest): HttpDecision {
    let first: number | null = null;
    const actions: HeaderAction[] = [];
    for (let i = 0; i < this.#rules.length; i++) {
      const r = this.#rules[i];
      if (r === null || r === undefined) continue;
      const m = matchRule(r, req);
      if (m === null) continue;
      first ??= i;
      actions.push(...m);
      if (!this.#anyAction) break;
    }
    return { allowed: first !== null, rule: first, actions };
  }
}

function compile(rule: HttpRule): CompiledRule | null {
  const re = (s: string | null): Re2 | null | undefined => {
    if (s === null) return null;
    const c = compileRe2(s);
    return c.ok ? c.value : undefined;
  };
  const method = re(rule.method);
  const path = re(rule.path);
  const host = re(rule.host);
  if (method === undefined || path === undefined || host === undefined) return null;
  // "Name: value" splits at the first space, a trailing ':' leaves the name; no space: presence only.
  const headers = rule.headers.map((h) => {
    const sp = h.indexOf(" ");
    const name = (sp < 0 ? h : h.slice(0, sp)).replace(/:$/, "").toLowerCase();
    return { name, value: sp < 0 ? null : h.slice(sp + 1) };
  });
  return { method, path, host, headers, headerMatches: rule.headerMatches };
}

/** The header actions of a matching rule, or null when the rule does not match. */
function matchRule(r: CompiledRule, req: HttpRequest): HeaderAction[] | null {
  if (r.method !== null && !r.method.fullMatch(req.method)) return null;
  if (r.path !== null && !r.path.fullMatch(req.path)) return null;
  if (r.host !== null && !r.host.fullMatch(req.host)) return null;
  for (const h of r.headers) {
    const values = req.headers.get(h.name);
    if (values === undefined || (h.value !== null && !values.includes(h.value))) return null;
  }
  const actions: HeaderAction[] = [];
  for (const hm of r.headerMatches) {
    const name = hm.name.toLowerCase();
    const values = req.headers.get(name);
    // A secret cannot be read offline: with no value the rule can never match (as when Envoy lacks it).
    if (hm.secret !== null && hm.value === null) return null;
    const ok = values !== undefined && (hm.value === null || values.includes(hm.value));
    if (ok) continue;
    switch (hm.mismatch) {
      case null:
        return null;
      case "LOG":
        actions.push({ kind: "log", name });
        break;
      case "ADD":
        actions.push({ kind: "add", name, value: hm.value ?? "" });
        break;
      case "DELETE":
        actions.push({ kind: "delete", name });
        break;
      case "REPLACE":
        actions.push({ kind: "replace", name, value: hm.value ?? "" });
        break;
    }
  }
  return actions;
}

/** gRPC calls are HTTP/2 POSTs to `/<package>.<Service>/<Method>` (§8.1). */
export function grpcRequest(service: string, method: string, host: string): HttpRequest {
  return { method: "POST", path: `/${service}/${method}`, host, headers: new Map([["content-type", ["application/grpc"]]]) };
}
