import type { Position } from "./node.ts";

/** How bad a problem is: an error rejects the document, a warning does not. */
export type Severity = "error" | "warning";

/** One step of a field path: a mapping key or a sequence index. */
export type PathSegment = string | number;

/**
 * A problem found in user input, as data (zod's errors-as-values idea). `path` is the field path
 * inside the document; `pos` is where it points in the text.
 */
export interface Issue {
  readonly severity: Severity;
  readonly code: string;
  readonly path: readonly PathSegment[];
  readonly pos: Position;
  readonly message: string;
}

/**
 * A problem placed in its file and document, ready to print: the shape `membrane validate -o json`
 * emits. `document` counts from 0 within the file.
 */
export interface Problem {
  readonly severity: Severity;
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly document: number;
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly path: string;
  readonly message: string;
}

/** Formats a path the way kubectl does: `spec.ingress[0].toPorts[0].ports[0].port`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Places an issue of one object in its file and document, naming the object. */
export function toProblem(
  issue: Issue,
  where: { readonly file: string; readonly index: number },
  id: { readonly kind: string | null; readonly namespace: string | null; readonly name: string | null },
): Problem {
  return {
    severity: issue.severity,
    code: issue.code,
    file: where.file,
    line: issue.pos.line,
    column: issue.pos.column,
    document: where.index,
    kind: id.kind,
    namespace: id.namespace,
    name: id.name,
    path: formatPath(issue.path),
    message: issue.message,
  };
}
