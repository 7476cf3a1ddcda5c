/** @membrane/cli: the command line, callable in-process for tests. */
export { run } from "./main.ts";
export type { Output } from "./output.ts";
