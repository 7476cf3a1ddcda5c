/**
 * @membrane/manifest — reads Kubernetes manifest files (YAML or JSON, one or many documents) into
 * position-carrying document trees. Pure: no Node or DOM API, so it runs in the browser too.
 */
import type { Position, SourceDocument } from "@membrane/engine";
import { looksLikeJson, parseJsonDocuments } from "./json-parser.ts";
import { splitDocuments } from "./split-documents.ts";
import { parseYamlDocument, type DocumentResult } from "./yaml-parser.ts";

/**
 * A problem that kept a document from being read. `code` names the kind: `yaml.syntax`,
 * `yaml.tab-indent`, `yaml.duplicate-key`, `yaml.unknown-alias`, `yaml.merge` (a `<<` value that is
 * not a mapping or a list of them), `yaml.tag` (`!!int abc`), `yaml.unsupported` (explicit `? ` keys,
 * mappings or sequences as keys), `yaml.too-deep`, `yaml.alias-limit`, `json.syntax`,
 * `json.duplicate-key`, `json.too-deep`, and `yaml.internal`/`json.internal`/`manifest.internal`
 * should the parser itself fail. `pos` is where the problem is; `document` is the index of the
 * document it belongs to, counted as {@link SourceDocument.index} is.
 */
export interface ParseIssue {
  readonly code: string;
  readonly message: string;
  readonly pos: Position;
  readonly document: number;
}

/** What a file holds: its documents that were read without issues, and the issues of the others. */
export interface ParsedFile {
  readonly documents: SourceDocument[];
  readonly issues: ParseIssue[];
}

/**
 * Parses a manifest file. A text whose first non-white character is `{` or `[` is read as JSON
 * (strict; several values in a row are several documents), anything else as a YAML stream.
 *
 * Documents are indexed from 0 in file order. Documents holding nothing but comments and blank
 * lines (such as after a trailing `---`) are dropped and take no index. A document with any issue
 * is left out of `documents` (its index is still used, so later indexes do not shift), and the
 * other documents of the file are read normally. Never throws.
 *
 * Scalars are typed as Kubernetes types them (YAML 1.1 via go-yaml v2); keys become strings the
 * way Kubernetes converts them (`80:` gives `"80"`, `on:` gives `"true"`).
 *
 * @param file copied into each document, for messages.
 */
export function parseManifest(file: string, text: string): ParsedFile {
  const documents: SourceDocument[] = [];
  const issues: ParseIssue[] = [];
  let index = 0;
  const add = (r: DocumentResult): void => {
    const document = index++;
    if (r.issues.length === 0) documents.push({ file, index: document, pos: r.pos, root: r.root });
    for (const issue of r.issues) issues.push({ code: issue.code, message: issue.message, pos: issue.pos, document });
  };
  try {
    if (looksLikeJson(text)) {
      for (const r of parseJsonDocuments(text)) add(withJsonHint(r));
    } else {
      for (const chunk of splitDocuments(text)) {
        const r = parseYamlDocument(text, chunk);
        if (r !== null) add(r);
      }
    }
  } catch (e) {
    // The readers catch their own failures per document; this is the last line of defence.
    const pos = { line: 1, column: 1, offset: 0 };
    issues.push({ code: "manifest.internal", message: `internal parser error: ${String(e)}`, pos, document: index });
  }
  return { documents, issues };
}

// A YAML file that starts with `{` or `[` is read as JSON; say so, since that may be a surprise.
function withJsonHint(r: DocumentResult): DocumentResult {
  if (!r.issues.some((i) => i.code === "json.syntax")) return r;
  const hint = ' (the file starts with "{" or "[", so it is read as strict JSON)';
  return { ...r, issues: r.issues.map((i) => (i.code === "json.syntax" ? { ...i, message: i.message + hint } : i)) };
}
