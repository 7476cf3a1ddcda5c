import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "@membrane/manifest";
import { toPlain } from "@membrane/engine";
import { toYaml } from "./format-yaml.ts";

test("-o yaml round-trips through membrane's own YAML reader", () => {
  const data = {
    endpoint: "ns/a",
    identity: 256,
    labels: ["k8s:app=a", "reserved:host"],
    ingress: {
      enforcement: { kind: "enforced", by: [] },
      entries: [{ key: { identity: 0, proto: 6 }, entry: { deny: false, parser: null } }],
    },
    tricky: ["yes", "010", "a: b", "#x", "", " lead", "trail ", "-", "null", "1.5"],
    empty: {},
  };
  const parsed = parseManifest("x.yaml", toYaml(data));
  assert.deepEqual(parsed.issues, []);
  assert.deepEqual(toPlain(parsed.documents[0]!.root), data);
});
