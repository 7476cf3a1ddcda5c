import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Problem, SourceDocument } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { isManifestFile } from "./scenario-groups.ts";

/** What reading the command line's paths gives: every document, and the problems of reading. */
export interface Inputs {
  readonly documents: SourceDocument[];
  readonly problems: Problem[];
  readonly files: number;
}

/**
 * Reads files, directories (recursively: .yaml, .yml and .json, in name order) and `-` (stdin).
 * An unreadable file or a syntax error is a problem for that file or document only.
 */
export async function readInputs(paths: readonly string[], stdin: () => Promise<string> = readStdin): Promise<Inputs> {
  const out: Inputs = { documents: [], problems: [], files: 0 };
  for (const p of paths) {
    if (p === "-") {
      addText(out, "<stdin>", await stdin());
      continue;
    }
    for (const file of await expand(out, p)) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        out.problems.push(fileProblem(file, "io.read", `cannot read file: ${(e as Error).message}`));
        continue;
      }
      addText(out, file, text);
    }
  }
  return out;
}

function addText(out: Inputs, file: string, text: string): void {
  (out as { files: number }).files++;
  const parsed = parseManifest(file, text);
  out.documents.push(...parsed.documents);
  for (const issue of parsed.issues) {
    out.problems.push({
      severity: "error",
      code: issue.code,
      file,
      line: issue.pos.line,
      column: issue.pos.column,
      document: issue.document,
      kind: null,
      namespace: null,
      name: null,
      path: "",
      message: issue.message,
    });
  }
}

async function expand(out: Inputs, p: string): Promise<string[]> {
  let s;
  try {
    s = await stat(p);
  } catch (e) {
    out.problems.push(fileProblem(p, "io.read", `cannot read path: ${(e as Error).message}`));
    return [];
  }
  if (!s.isDirectory()) return [p];
  const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const e of entries) {
    const child = join(p, e.name);
    if (e.isDirectory()) files.push(...(await expand(out, child)));
    else if (isManifestFile(e.name)) files.push(child);
  }
  return files;
}

function fileProblem(file: string, code: string, message: string): Problem {
  return { severity: "error", code, file, line: 1, column: 1, document: 0, kind: null, namespace: null, name: null, path: "", message };
}

/** Reads all of standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
