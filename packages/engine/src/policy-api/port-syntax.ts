/**
 * Port text as Cilium reads it (`pkg/policy/api/rule_validation.go` PortProtocol.sanitize and
 * `pkg/iana/svcname.go`): a name that fits the IANA service-name syntax is a named port
 * (lowercased); otherwise the text is a number in Go's base-0 syntax, so `"010"` is octal 8.
 */

const SVC_NAME = /^([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$/;

/** Whether `s` is an IANA service name (RFC 6335 §5.1): 1–15 characters, at least one letter. */
export function isServiceName(s: string): boolean {
  return s.length > 0 && s.length <= 15 && SVC_NAME.test(s);
}

/** A port text read as a number or a name, or the reason it is neither. */
export type ParsedPortText =
  | { readonly kind: "number"; readonly port: number }
  | { readonly kind: "named"; readonly name: string }
  | { readonly kind: "invalid"; readonly reason: string };

/** Reads a Cilium port string. */
export function parsePortText(text: string): ParsedPortText {
  if (isServiceName(text)) return { kind: "named", name: text.toLowerCase() };
  const n = parseGoUint(text);
  if (n === undefined) return { kind: "invalid", reason: `unable to parse port "${text}": not a number or a service name` };
  if (n > 65535) return { kind: "invalid", reason: `unable to parse port "${text}": value out of range (0-65535)` };
  return { kind: "number", port: n };
}

/**
 * strconv.ParseUint(s, 0, …) for the texts that are not service names: decimal, or octal with a
 * leading 0; base 0 lets underscores stand between digits (`1_000`). Prefixed forms (0x, 0o, 0b) contain a
 * letter and are service names before they get here.
 */
function parseGoUint(text: string): number | undefined {
  if (!/^[0-9]+(_[0-9]+)*$/.test(text)) return undefined;
  const digits = text.replaceAll("_", "");
  if (digits.length > 1 && digits.startsWith("0")) {
    if (!/^[0-7]+$/.test(digits)) return undefined;
    return parseInt(digits, 8);
  }
  return parseInt(digits, 10);
}
