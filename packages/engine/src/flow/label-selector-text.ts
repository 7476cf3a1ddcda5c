import { parseSourcedKey } from "../labels/label.ts";
import type { Requirement } from "../selector/label-selector.ts";
import { err, ok, type Result } from "../result.ts";

/**
 * Parses Kubernetes label-selector syntax as `hubble observe -l` takes it, with Cilium sources:
 * `k8s:app=web,tier!=db,env in (a,b),env notin (c),key,!key` (also `==`).
 */
export function parseSelectorText(text: string): Result<Requirement[], string> {
  const out: Requirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === "") continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/i.exec(part)) !== null) {
      const values = m[3]!
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      out.push({ key: parseSourcedKey(m[1]!), operator: m[2]!.toLowerCase() === "in" ? "In" : "NotIn", values });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(part)) !== null) {
      out.push({ key: parseSourcedKey(m[1]!), operator: m[2] === "!=" ? "NotIn" : "In", values: [m[3]!] });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(part)) !== null) {
      out.push({ key: parseSourcedKey(m[1]!), operator: "DoesNotExist", values: [] });
    } else if (/^[^\s!=(),]+$/.test(part)) {
      out.push({ key: parseSourcedKey(part), operator: "Exists", values: [] });
    } else return err(`invalid label selector "${part}"`);
  }
  return ok(out);
}

/** Splits at commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
