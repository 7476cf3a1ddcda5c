/** Where a command writes: injected so tests can capture it. */
export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** The process's own streams. */
export const processOutput: Output = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};
