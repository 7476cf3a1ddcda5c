import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** Whether a file name is a manifest membrane reads. */
export function isManifestFile(name: string): boolean {
  return MANIFEST_EXTENSIONS.some((x) => name.endsWith(x));
}

/**
 * Groups the command line's paths into scenarios for `membrane test`: the files named directly (and
 * `-`) form one scenario; in a directory, the manifests directly inside it form one scenario and
 * each subdirectory is looked at the same way. So `membrane test examples/` runs every example
 * scenario on its own cluster.
 */
export async function groupScenarios(paths: readonly string[]): Promise<{ name: string; files: string[] }[]> {
  const direct: string[] = [];
  const groups: { name: string; files: string[] }[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    const files = entries.filter((e) => !e.isDirectory() && isManifestFile(e.name)).map((e) => join(dir, e.name));
    if (files.length > 0) groups.push({ name: dir.replace(/\/+$/, ""), files });
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  for (const p of paths) {
    const isDir = p !== "-" && (await stat(p).catch(() => undefined))?.isDirectory() === true;
    if (isDir) await walk(p);
    else direct.push(p);
  }
  return direct.length > 0 ? [{ name: direct.join(" "), files: direct }, ...groups] : groups;
}
