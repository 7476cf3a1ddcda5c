/**
 * Writes JSON-like data as YAML for `-o yaml` (kubectl's convention): block style, strings quoted
 * whenever a plain scalar could be read back as something else.
 */
export function toYaml(value: unknown): string {
  return `${write(value, 0).replace(/^\n/, "")}\n`;
}

const PLAIN = /^[A-Za-z_/.][A-Za-z0-9_./: -]*$/;
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "[]";
  if (typeof v === "object") return "{}";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = String(v);
  return PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(" ") && !s.includes(": ") && !s.includes(" #") ? s : JSON.stringify(s);
}

function write(v: unknown, indent: number): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return " []";
    return v
      .map((item) => `\n${pad}-${isCollection(item) ? write(item, indent + 2).replace(/^\n {0,}/, " ") : ` ${scalar(item)}`}`)
      .join("");
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return " {}";
    return entries.map(([k, x]) => `\n${pad}${scalar(k)}:${isCollection(x) ? write(x, indent + 2) : ` ${scalar(x)}`}`).join("");
  }
  return ` ${scalar(v)}`;
}

function isCollection(v: unknown): boolean {
  return v !== null && typeof v === "object" && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}
