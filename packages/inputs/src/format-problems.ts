import type { Problem } from "@membrane/engine";

/**
 * One line per problem, compiler style, so editors can jump to it:
 * `file:line:col: error: <Kind> <ns>/<name>: <path>: <message>`.
 */
export function formatProblem(p: Problem): string {
  const who = p.kind === null ? "" : `${p.kind} ${p.namespace === null ? "" : `${p.namespace}/`}${p.name ?? "<unnamed>"}: `;
  const where = p.path === "" ? "" : `${p.path}: `;
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${who}${where}${p.message}`;
}

/** Orders problems by file, then position, so output is stable whatever the reading order. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}
