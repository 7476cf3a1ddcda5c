/**
 * DNS name matching for DNS rules and toFQDNs (cilium/cilium pkg/fqdn/matchpattern,
 * `policy-semantics.md` §8.4): case-insensitive, anchored, a trailing dot implied; in a pattern `*`
 * is zero or more of `[-a-zA-Z0-9_]` and never crosses a dot; a pattern that is only `*` matches
 * every name. `**` is not special here (only in serverNames).
 */

/** Lowercases a name and adds the trailing dot (fully qualified). */
export function toFqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}

/** Whether `name` matches `matchName` exactly (case-insensitive, trailing dot optional). */
export function matchesName(matchName: string, name: string): boolean {
  return toFqdn(matchName) === toFqdn(name);
}

/** Compiles a matchPattern into a predicate over names. Linear time: no backtracking regex. */
export function compileDnsPattern(pattern: string): (name: string) => boolean {
  const p = pattern.trim();
  if (p === "*") return () => true;
  const parts = toFqdn(p).split("*");
  return (name: string) => globMatch(parts, toFqdn(name));
}

const LABEL_CHAR = /^[-a-z0-9_]*$/;

/**
 * Matches `name` against literal parts separated by `*`, where each `*` takes a run of label
 * characters: greedy with the leftmost occurrence of each next literal, which is exact for this
 * glob because `*` can never take a dot and the literals between stars fix the dots.
 */
function globMatch(parts: readonly string[], name: string): boolean {
  const first = parts[0]!;
  if (!name.startsWith(first)) return false;
  if (parts.length === 1) return name === first;
  let pos = first.length;
  for (let i = 1; i < parts.length; i++) {
    const lit = parts[i]!;
    const last = i === parts.length - 1;
    const next = last ? name.length - lit.length : name.indexOf(lit, pos);
    if (next < pos || (last && !name.endsWith(lit))) return false;
    // The star's run must not cross a dot.
    if (!LABEL_CHAR.test(name.slice(pos, next))) return false;
    pos = next + lit.length;
  }
  return true;
}

/**
 * TLS SNI patterns (`serverNames`, §8.6): exact (case-insensitive), `*.x` exactly one label, `**.x`
 * one or more labels, `*` alone any name; no SNI never matches.
 */
export function matchesServerName(pattern: string, sni: string | null): boolean {
  if (sni === null || sni === "") return false;
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const n = sni.toLowerCase().replace(/\.$/, "");
  if (p === "*") return true;
  if (p.startsWith("**.")) return n.endsWith(p.slice(2)) && n.length > p.length - 2;
  if (p.startsWith("*.")) {
    const rest = p.slice(1);
    return n.endsWith(rest) && n.length > rest.length && !n.slice(0, n.length - rest.length).includes(".");
  }
  return p === n;
}

/**
 * Whether a TLS connection naming `sni` (null: none) passes `serverNames` (the union of the rules
 * on the port), and why — shared by `membrane test` and the SNI proxy.
 */
export function serverNameVerdict(serverNames: readonly string[], sni: string | null): { readonly allowed: boolean; readonly why: string } {
  const hit = serverNames.find((p) => matchesServerName(p, sni));
  if (hit !== undefined) return { allowed: true, why: `server name ${sni} matches ${hit}` };
  if (sni === null) return { allowed: false, why: "the ClientHello names no server" };
  return {
    allowed: false,
    why: `server name ${sni} matches none of ${serverNames.join(", ") || "(no serverNames: membrane terminates no TLS)"}`,
  };
}
