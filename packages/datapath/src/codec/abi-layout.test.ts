import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { BPF_SOURCE_DIR } from "../kernel/compile.ts";
import { CT_ENTRY, CT_FLAGS, CT_KEY } from "./conntrack.ts";
import { COUNTER, DATAPATH_CONFIG, DATAPATH_F_PROXY_UPSTREAM_PORTS } from "./counters.ts";
import { PROXY_UPSTREAM_PORTS } from "../kernel/sockets.ts";
import { ENDPOINT_INFO } from "./endpoint.ts";
import { DROP_REASON_NAMES, EVENT } from "./event.ts";
import { IPCACHE_ENTRY, IPCACHE_KEY } from "./ipcache.ts";
import { POLICY_ENTRY, POLICY_KEY } from "./policy.ts";
import { PROXY_ORIGIN, PROXY_ORIGIN_KEY } from "./proxy-origin.ts";

/**
 * Every layout the codecs write or read, checked against the C compiler's view of
 * bpf/include/membrane/abi.h: a program is generated from the layouts themselves, printing each
 * struct's sizeof and each field's offsetof.
 */
const LAYOUTS: Record<string, { readonly size: number } & Readonly<Record<string, number>>> = {
  policy_key: POLICY_KEY,
  policy_entry: POLICY_ENTRY,
  ipcache_key: IPCACHE_KEY,
  ipcache_entry: IPCACHE_ENTRY,
  endpoint_info: ENDPOINT_INFO,
  ct_key: CT_KEY,
  ct_entry: CT_ENTRY,
  event: EVENT,
  counter: COUNTER,
  datapath_config: DATAPATH_CONFIG,
  proxy_origin_key: PROXY_ORIGIN_KEY,
  proxy_origin: PROXY_ORIGIN,
};

test("the TypeScript codecs match abi.h field for field", async () => {
  const lines: string[] = [];
  for (const [struct, layout] of Object.entries(LAYOUTS))
    for (const field of Object.keys(layout))
      lines.push(
        field === "size"
          ? `printf("${struct}.size %zu\\n", sizeof(struct ${struct}));`
          : `printf("${struct}.${field} %zu\\n", offsetof(struct ${struct}, ${field}));`,
      );
  const dir = mkdtempSync(join(tmpdir(), "membrane-abi-"));
  try {
    const source = join(dir, "layout.c");
    writeFileSync(
      source,
      `#include <stddef.h>\n#include <stdio.h>\n#include "membrane/abi.h"\nint main(void) {\n${lines.join("\n")}\nreturn 0;\n}\n`,
    );
    await promisify(execFile)("gcc", ["-Wall", "-Werror", `-I${BPF_SOURCE_DIR}include`, source, "-o", join(dir, "layout")]);
    const { stdout } = await promisify(execFile)(join(dir, "layout"));
    const actual = Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]),
    );
    const expected = Object.fromEntries(
      Object.entries(LAYOUTS).flatMap(([struct, layout]) => Object.entries(layout).map(([f, v]) => [`${struct}.${f}`, v])),
    );
    assert.deepEqual(actual, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every drop code abi.h defines has its Hubble name", async () => {
  const header = readFileSync(join(BPF_SOURCE_DIR, "include/membrane/abi.h"), "utf8");
  const codes = [...header.matchAll(/#define DROP_\w+ \((-\d+)\)/g)].map((m) => Number(m[1]));
  assert.ok(codes.length >= 10);
  for (const c of codes) assert.ok(DROP_REASON_NAMES[c] !== undefined, `no name for ${c}`);
  assert.deepEqual(Object.keys(DROP_REASON_NAMES).map(Number).sort(), [...codes].sort());
});

test("the conntrack flags the codec reads are abi.h's", () => {
  const header = readFileSync(join(BPF_SOURCE_DIR, "include/membrane/abi.h"), "utf8");
  const defined = Object.fromEntries([...header.matchAll(/#define CT_F_(\w+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  assert.deepEqual(defined, { REPLY_SEEN: CT_FLAGS.replySeen, CLOSING: CT_FLAGS.closing, INGRESS: CT_FLAGS.ingress });
});

test("the datapath flags and the proxy's upstream port range are abi.h's", () => {
  const header = readFileSync(join(BPF_SOURCE_DIR, "include/membrane/abi.h"), "utf8");
  const define = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(header)?.[1]);
  assert.equal(define("DATAPATH_F_PROXY_UPSTREAM_PORTS"), DATAPATH_F_PROXY_UPSTREAM_PORTS);
  assert.equal(define("PROXY_UPSTREAM_PORT_MIN"), PROXY_UPSTREAM_PORTS.min);
  assert.equal(define("PROXY_UPSTREAM_PORT_MAX"), PROXY_UPSTREAM_PORTS.max);
});
