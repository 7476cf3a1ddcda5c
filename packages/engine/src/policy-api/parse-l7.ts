import { compileRe2 } from "../regex/re2.ts";
import type { SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field } from "../source/reader.ts";
import type { PolicyReader } from "./context.ts";
import type { FqdnSelector, HeaderMatch, HttpRule, KafkaRule, L7Rules, SecretRef } from "./types.ts";
import { KAFKA_API_KEYS, KAFKA_ROLES } from "./vocabulary.ts";

type Path = readonly PathSegment[];

const L7_FIELDS = new Set(["http", "kafka", "dns", "l7proto", "l7"]);
const HTTP_FIELDS = new Set(["path", "method", "host", "headers", "headerMatches"]);
const HEADER_MATCH_FIELDS = new Set(["name", "value", "secret", "mismatch"]);
const SECRET_FIELDS = new Set(["namespace", "name"]);
const KAFKA_FIELDS = new Set(["role", "apiKey", "apiVersion", "clientID", "topic"]);
const FQDN_FIELDS = new Set(["matchName", "matchPattern"]);
const MISMATCH = ["LOG", "ADD", "DELETE", "REPLACE"] as const;

const MATCH_NAME_CHARS = /^[-a-zA-Z0-9_.]+$/;
const MATCH_PATTERN_CHARS = /^[-a-zA-Z0-9_.*]+$/;

/**
 * The CRD's `^([-a-zA-Z0-9_]+[.]?)+$` (and its `*` variant) beyond the character set: no empty
 * label, so no leading dot and no two dots in a row. Written without the nested quantifier, which
 * backtracks exponentially in a JS regex engine.
 */
function hasNoEmptyLabel(s: string): boolean {
  return s.length > 0 && !s.startsWith(".") && !s.includes("..");
}
const KAFKA_TOPIC = /^[a-zA-Z0-9._-]+$/;
const KAFKA_MAX_TOPIC = 255;
const FQDN_MAX = 255;

/**
 * Reads `rules`: exactly one L7 kind (V22), `l7` only with `l7proto` (V23). `rules: {}` is no L7
 * for the agent but fails the CRD's oneOf, so it is rejected here too.
 */
export function parseL7Rules(r: PolicyReader, node: SourceNode, path: Path): L7Rules | undefined {
  const m = r.map(node, path, L7_FIELDS);
  if (m === undefined) return undefined;
  const kinds = ["http", "kafka", "dns", "l7proto"].filter((k) => field(m, k) !== undefined);
  if (kinds.length === 0) {
    r.report(m, path, "cilium.l7-empty", "rules must contain exactly one of http, kafka, dns or l7proto");
    return undefined;
  }
  if (kinds.length > 1) {
    r.report(m, path, "cilium.l7-multiple", `multiple L7 protocol rule types (${kinds.join(", ")}): use one per port rule`);
    return undefined;
  }
  const l7Node = field(m, "l7");
  if (l7Node !== undefined && kinds[0] !== "l7proto") {
    r.report(l7Node, [...path, "l7"], "cilium.l7-without-proto", "'l7' may only be specified when a 'l7proto' is also specified");
    return undefined;
  }
  const kind = kinds[0];
  const sub = field(m, kind!)!;
  switch (kind) {
    case "http": {
      const rules = r.list(sub, [...path, "http"], (n, p) => parseHttpRule(r, n, p));
      return rules && { kind: "http", rules };
    }
    case "kafka": {
      const rules = r.list(sub, [...path, "kafka"], (n, p) => parseKafkaRule(r, n, p));
      return rules && { kind: "kafka", rules };
    }
    case "dns": {
      const rules = r.list(sub, [...path, "dns"], (n, p) => parseFqdnSelector(r, n, p));
      return rules && { kind: "dns", rules };
    }
    default: {
      const proto = r.string(sub, [...path, "l7proto"]);
      const rules = l7Node === undefined ? [] : r.list(l7Node, [...path, "l7"], (n, p) => parseL7Map(r, n, p));
      return proto === undefined || rules === undefined ? undefined : { kind: "l7proto", l7proto: proto, rules };
    }
  }
}

function parseL7Map(r: PolicyReader, node: SourceNode, path: Path): ReadonlyMap<string, string> | undefined {
  const map = r.stringMap(node, path);
  if (map?.has("") === true) {
    r.report(node, path, "cilium.l7-empty-key", "empty key not allowed in an l7 rule");
    return undefined;
  }
  return map;
}

function optionalString(r: PolicyReader, m: Parameters<typeof field>[0], key: string, path: Path): string | null | undefined {
  const n = field(m, key);
  if (n === undefined) return null;
  const s = r.string(n, [...path, key]);
  return s === undefined ? undefined : s === "" ? null : s;
}

/** Reads one HTTP rule; `path`, `method` and `host` must compile as RE2 (V24; host: Envoy). */
function parseHttpRule(r: PolicyReader, node: SourceNode, path: Path): HttpRule | undefined {
  const m = r.map(node, path, HTTP_FIELDS);
  if (m === undefined) return undefined;
  let ok = true;
  const regexField = (key: "path" | "method" | "host"): string | null => {
    const v = optionalString(r, m, key, path);
    if (v === undefined) ok = false;
    if (v === undefined || v === null) return null;
    const compiled = compileRe2(v);
    if (!compiled.ok) {
      r.report(field(m, key)!, [...path, key], "cilium.http-regex", `invalid RE2 regular expression: ${compiled.error}`);
      ok = false;
    }
    return v;
  };
  const method = regexField("method");
  const httpPath = regexField("path");
  const host = regexField("host");
  const headersNode = field(m, "headers");
  const headers = headersNode === undefined ? [] : r.list(headersNode, [...path, "headers"], (n, p) => r.string(n, p));
  const hmNode = field(m, "headerMatches");
  const headerMatches = hmNode === undefined ? [] : r.list(hmNode, [...path, "headerMatches"], (n, p) => parseHeaderMatch(r, n, p));
  if (!ok || headers === undefined || headerMatches === undefined) return undefined;
  return { method, path: httpPath, host, headers, headerMatches, pos: m.pos };
}

function parseHeaderMatch(r: PolicyReader, node: SourceNode, path: Path): HeaderMatch | undefined {
  const m = r.map(node, path, HEADER_MATCH_FIELDS);
  if (m === undefined) return undefined;
  const name = optionalString(r, m, "name", path);
  const value = optionalString(r, m, "value", path);
  const mismatchNode = field(m, "mismatch");
  const mismatch = mismatchNode === undefined ? null : r.oneOf(mismatchNode, [...path, "mismatch"], MISMATCH);
  const secretNode = field(m, "secret");
  const secret = secretNode === undefined ? null : parseSecretRef(r, secretNode, [...path, "secret"]);
  if (name === null) {
    r.report(m, [...path, "name"], "cilium.header-name", "header name missing");
    return undefined;
  }
  if (name === undefined || value === undefined || mismatch === undefined || secret === undefined) return undefined;
  return { name, value, secret, mismatch };
}

/** Reads a `{namespace, name}` secret reference; the name is required. */
export function parseSecretRef(r: PolicyReader, node: SourceNode, path: Path): SecretRef | undefined {
  const m = r.map(node, path, SECRET_FIELDS);
  if (m === undefined) return undefined;
  const namespace = optionalString(r, m, "namespace", path);
  const name = optionalString(r, m, "name", path);
  if (name === null) {
    r.report(m, [...path, "name"], "cilium.secret-name", "secret name missing");
    return undefined;
  }
  return name === undefined || namespace === undefined ? undefined : { namespace, name };
}

/** Reads one Kafka rule with cilium/proxy's sanitize rules (V26). */
function parseKafkaRule(r: PolicyReader, node: SourceNode, path: Path): KafkaRule | undefined {
  const m = r.map(node, path, KAFKA_FIELDS);
  if (m === undefined) return undefined;
  const role = optionalString(r, m, "role", path);
  const apiKey = optionalString(r, m, "apiKey", path);
  const apiVersionText = optionalString(r, m, "apiVersion", path);
  const clientID = optionalString(r, m, "clientID", path);
  const topic = optionalString(r, m, "topic", path);
  if ([role, apiKey, apiVersionText, clientID, topic].includes(undefined)) return undefined;
  const at = (key: string): SourceNode => field(m, key) ?? m;
  let ok = true;
  const fail = (key: string, message: string): void => {
    r.report(at(key), [...path, key], "cilium.kafka", message);
    ok = false;
  };
  if (role && apiKey) fail("role", `cannot set both role "${role}" and apiKey "${apiKey}" together`);
  let apiKeys: readonly number[] = [];
  let roleName: "produce" | "consume" | null = null;
  if (apiKey) {
    const n = KAFKA_API_KEYS.get(apiKey.toLowerCase());
    if (n === undefined) fail("apiKey", `unknown Kafka apiKey "${apiKey}"`);
    else apiKeys = [n];
  }
  if (role) {
    const lower = role.toLowerCase();
    if (lower === "produce" || lower === "consume") {
      roleName = lower;
      apiKeys = KAFKA_ROLES.get(lower)!;
    } else fail("role", `invalid Kafka role "${role}": must be produce or consume`);
  }
  let apiVersion: number | null = null;
  if (apiVersionText) {
    const n = /^[+-]?[0-9]+$/.test(apiVersionText) ? Number(apiVersionText) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 32767)
      fail("apiVersion", `invalid Kafka apiVersion "${apiVersionText}": must be an integer from 0 to 32767`);
    else apiVersion = n;
  }
  if (topic) {
    if (topic.length > KAFKA_MAX_TOPIC) fail("topic", `Kafka topic exceeds the maximum length of ${KAFKA_MAX_TOPIC}`);
    else if (!KAFKA_TOPIC.test(topic))
      fail("topic", `invalid Kafka topic name "${topic}": only a-z, A-Z, 0-9, '.', '_' and '-' are allowed`);
  }
  if (!ok) return undefined;
  return { role: roleName, apiKey: apiKey ?? null, apiKeys, apiVersion, clientID: clientID ?? null, topic: topic ?? null, pos: m.pos };
}

/** Whether `s` may be a TLS server name pattern (the CRD's serverNames pattern, at most 255 characters). */
export function isServerNamePattern(s: string): boolean {
  return s.length <= FQDN_MAX && MATCH_PATTERN_CHARS.test(s) && hasNoEmptyLabel(s);
}

/** Reads a `toFQDNs` item or a DNS rule: exactly one of matchName / matchPattern (V35, V36). */
export function parseFqdnSelector(r: PolicyReader, node: SourceNode, path: Path): FqdnSelector | undefined {
  const m = r.map(node, path, FQDN_FIELDS);
  if (m === undefined) return undefined;
  const name = optionalString(r, m, "matchName", path);
  const pattern = optionalString(r, m, "matchPattern", path);
  if (name === undefined || pattern === undefined) return undefined;
  if (name !== null && pattern !== null) {
    r.report(m, path, "cilium.fqdn-both", "only one of matchName or matchPattern is allowed");
    return undefined;
  }
  if (name === null && pattern === null) {
    r.report(m, path, "cilium.fqdn-none", "one of matchName or matchPattern is required");
    return undefined;
  }
  const [key, text, chars, allowed] =
    name !== null
      ? (["matchName", name, MATCH_NAME_CHARS, "0-9, a-z, A-Z, '.', '-' and '_'"] as const)
      : (["matchPattern", pattern!, MATCH_PATTERN_CHARS, "0-9, a-z, A-Z, '.', '-', '_' and '*'"] as const);
  const at = field(m, key)!;
  if (text.length > FQDN_MAX) {
    r.report(at, [...path, key], "cilium.fqdn-length", `must be no more than ${FQDN_MAX} characters`);
    return undefined;
  }
  if (!chars.test(text)) {
    r.report(at, [...path, key], "cilium.fqdn-chars", `invalid characters in ${key} "${text}": only ${allowed} are allowed`);
    return undefined;
  }
  if (!hasNoEmptyLabel(text)) {
    r.report(at, [...path, key], "schema.pattern", `${key} "${text}" has an empty label (a leading dot or two dots in a row)`);
    return undefined;
  }
  return key === "matchName"
    ? { kind: "matchName", matchName: text, pos: m.pos }
    : { kind: "matchPattern", matchPattern: text, pos: m.pos };
}
