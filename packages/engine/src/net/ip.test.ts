import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIp, parseIp } from "./ip.ts";

test("IPv6 text is RFC 5952's canonical form", () => {
  const table: [string, string][] = [
    ["2001:db8::1", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"],
  ];
  for (const [input, canonical] of table) {
    const a = parseIp(input);
    assert.ok(a !== undefined && a.family === 6, input);
    assert.equal(formatIp(a), canonical, input);
  }
  for (const bad of ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1", "1:2:3:4:5:6:7::8", "1.2.3.4::", "g::1", ""]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
  for (const bad of ["1.2.3", "01.2.3.4", "1.2.3.4.5", "256.1.1.1", "a.b.c.d"]) assert.equal(parseIp(bad), undefined, bad);
});
