import assert from "node:assert/strict";
import { test } from "node:test";
import { DnsCache } from "./dns-cache.ts";

test("§8.5: answers live for their TTL (raised to the minimum TTL), then expire unless in use", () => {
  const c = new DnsCache({ minTtlSeconds: 0, maxIpsPerName: 1000 });
  c.learn("API.example.com", ["1.2.3.4"], 30, 100);
  assert.deepEqual(c.ipsOf("api.example.com."), ["1.2.3.4"]);
  assert.deepEqual(c.expire(129), []);
  assert.deepEqual(c.expire(131, new Set(["1.2.3.4"])), [], "a live connection keeps the IP (zombie)");
  assert.deepEqual(c.expire(131), ["1.2.3.4"]);
  assert.deepEqual(c.namesOf("1.2.3.4"), []);
  const min = new DnsCache({ minTtlSeconds: 300, maxIpsPerName: 1000 });
  min.learn("a.io", ["5.6.7.8"], 1, 0);
  assert.deepEqual(min.expire(200), []);
});

test("§8.5: at most maxIpsPerName IPs per name, oldest evicted first", () => {
  const c = new DnsCache({ minTtlSeconds: 0, maxIpsPerName: 2 });
  c.learn("a.io", ["1.1.1.1"], 60, 0);
  c.learn("a.io", ["2.2.2.2"], 60, 1);
  const changed = c.learn("a.io", ["3.3.3.3"], 60, 2);
  assert.deepEqual(c.ipsOf("a.io").sort(), ["2.2.2.2", "3.3.3.3"]);
  assert.ok(changed.includes("1.1.1.1"));
});
