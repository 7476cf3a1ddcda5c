/** Where a command writes: injected so tests can capture it. */
export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
  /** A transient status line (a progress bar), shown only on a terminal; null clears it. */
  status(text: string | null): void;
}

/** The process's own streams. */
export const processOutput: Output = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  status: (text) => {
    if (process.stderr.isTTY) process.stderr.write(text === null ? "\r\x1b[K" : `\r\x1b[K${text}`);
  },
};

/** A progress bar's text: `[#####.....] 50% 500/1000 cases`. */
export function progressBar(done: number, total: number, what: string): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor((done / Math.max(total, 1)) * 100)}% ${done}/${total} ${what}`;
}
