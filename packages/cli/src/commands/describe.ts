import {
  formatLabel,
  protocolName,
  reservedName,
  type DerivedFrom,
  type Enforcement,
  type IdentityInfo,
  type PolicyKey,
  type RuleOrigin,
} from "@membrane/engine";

/** `policy/name (Kind) file:line path` for a rule origin. */
export function describeOrigin(o: RuleOrigin): string {
  const name = o.namespace === null ? o.name : `${o.namespace}/${o.name}`;
  const path = o.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  return `${o.policyKind} ${name} ${path} (${o.file}:${o.pos.line})`;
}

/** What an entry was derived from, in one line. */
export function describeDerivedFrom(d: readonly DerivedFrom[]): string {
  return d.map((x) => (x.kind === "rule" ? describeOrigin(x.origin) : x.label)).join("; ");
}

/** Why a direction is (not) enforced. */
export function describeEnforcement(e: Enforcement): string {
  switch (e.reason) {
    case "no-policy":
      return "not enforced: no policy selects this endpoint in this direction (allow-any)";
    case "mode-never":
      return "not enforced: enable-policy=never";
    case "host-firewall-off":
      return "not enforced: the host firewall is off";
    case "mode-always":
      return "enforced (default deny): enable-policy=always";
    case "init-identity":
      return "enforced (default deny): the endpoint's identity is still reserved:init";
    case "default-deny":
      return `enforced (default deny) because of: ${e.by.map(describeOrigin).join("; ")}`;
    case "no-default-deny":
      return `enforced, but every applicable rule sets enableDefaultDeny=false: everything else stays allowed (${e.by.map(describeOrigin).join("; ")})`;
  }
}

/** `ID (labels)` for an identity. */
export function describeIdentity(i: IdentityInfo): string {
  const name = reservedName(i.id);
  return `${i.id}${name !== undefined && i.id < 256 ? ` (reserved:${name})` : ""} ${i.labels.labels.map(formatLabel).join(", ")}`;
}

/** `TCP/80`, `TCP/8000-8191`, `ANY` for a key's protocol and port prefix. */
export function describePort(k: PolicyKey): string {
  if (k.proto === 0) return "ANY";
  if (k.prefixLen === 0) return protocolName(k.proto);
  if (k.prefixLen === 16) return `${protocolName(k.proto)}/${k.port}`;
  return `${protocolName(k.proto)}/${k.port}-${k.port + 2 ** (16 - k.prefixLen) - 1}`;
}
