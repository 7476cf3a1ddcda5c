/**
 * Kubernetes label syntax (apimachinery's validation): what a label key and value may look like.
 * Cilium selectors add an optional `source:` in front of the key (`k8s:app`, `reserved:host`).
 */

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why a label key is not a valid qualified name, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const p = dnsSubdomainProblem(prefix);
    if (p !== undefined) return `prefix part ${p}`;
  }
  if (name.length === 0) return "name part must be non-empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!NAME_PART.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return "must be no more than 63 characters";
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why a string is not an RFC 1123 subdomain (object names, namespaces), or undefined. */
export function dnsSubdomainProblem(s: string): string | undefined {
  if (s.length === 0) return "must be non-empty";
  if (s.length > 253) return "must be no more than 253 characters";
  if (!s.split(".").every((l) => DNS1123_LABEL.test(l))) {
    return "must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character";
  }
  return undefined;
}

/** Why a string is not an RFC 1123 label (namespace names), or undefined. */
export function dnsLabelProblem(s: string): string | undefined {
  if (s.length === 0) return "must be non-empty";
  if (s.length > 63) return "must be no more than 63 characters";
  if (!DNS1123_LABEL.test(s)) {
    return "must be a lowercase RFC 1123 label: lowercase alphanumeric characters or '-', starting and ending with an alphanumeric character";
  }
  return undefined;
}
