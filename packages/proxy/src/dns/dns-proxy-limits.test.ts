import assert from "node:assert/strict";
import { test } from "node:test";
import type { L7Policy } from "@membrane/engine";
import { DnsProxy } from "./dns-proxy.ts";
import { dnsPolicy, fakeUpstream, proxyFor } from "./test-support/proxy-fixtures.ts";
import { buildQuery, mustDecode, TcpDnsClient, udpExchange } from "./test-support/raw-client.ts";
import { encodeMessage } from "./wire.ts";
import { RCODE, RR_TYPE } from "./wire-types.ts";

/** Internal errors and limits, against fake upstreams (no resolver needed). */

/** An upstream that answers every query with one A record, 192.0.2.1, TTL 60. */
function answering(q: Buffer): Uint8Array {
  const query = mustDecode(new Uint8Array(q));
  const name = query.questions[0]!.name;
  const reply = encodeMessage({
    ...query,
    header: { ...query.header, qr: true, ra: true },
    answers: [{ name, type: RR_TYPE.A, class: 1, ttl: 60, data: { kind: "a", address: "192.0.2.1" } }],
  });
  assert.ok(reply.ok);
  return reply.value;
}

test("a policy source that fails gives SERVFAIL and an ERROR request flow; an async one is awaited", async () => {
  const up = await fakeUpstream(answering);
  let calls = 0;
  const proxy = await proxyFor(up.port, {
    policy: {
      policyFor: async (): Promise<L7Policy> => {
        if (calls++ === 0) throw new Error("no such endpoint");
        return dnsPolicy("ok.test");
      },
    },
  });
  try {
    assert.equal(mustDecode((await udpExchange(proxy.ports.udp, buildQuery("ok.test", RR_TYPE.A, 1)))!).header.rcode, RCODE.SERVFAIL);
    const ok = mustDecode((await udpExchange(proxy.ports.udp, buildQuery("ok.test", RR_TYPE.A, 2)))!);
    assert.equal(ok.header.rcode, RCODE.NOERROR);
    assert.deepEqual(
      ok.answers.map((a) => a.data),
      [{ kind: "a", address: "192.0.2.1" }],
    );
    assert.deepEqual(
      proxy.flows.map((f) => `${f.type} ${f.verdict}`),
      ["REQUEST ERROR", "REQUEST FORWARDED", "RESPONSE FORWARDED"],
    );
  } finally {
    await proxy.close();
    await up.close();
  }
});

test("an unknown client (no route) gets SERVFAIL", async () => {
  const started = await DnsProxy.start({
    listen: { host: "127.0.0.1", port: 0 },
    routeOf: () => null,
    policy: { policyFor: () => dnsPolicy("~*") },
  });
  assert.ok(started.ok);
  try {
    const reply = await udpExchange(started.value.address.port, buildQuery("a.test", RR_TYPE.A, 3));
    assert.equal(mustDecode(reply!).header.rcode, RCODE.SERVFAIL);
  } finally {
    await started.value.close();
  }
});

test("queries over the in-flight limit get SERVFAIL at once", async () => {
  const silent = await fakeUpstream(() => null);
  const proxy = await proxyFor(silent.port, {
    policy: dnsPolicy("~*"),
    limits: { maxInFlight: 1, upstreamTimeoutMs: 400, udpAttempts: 1 },
  });
  try {
    const first = udpExchange(proxy.ports.udp, buildQuery("a.test", RR_TYPE.A, 1));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const second = mustDecode((await udpExchange(proxy.ports.udp, buildQuery("b.test", RR_TYPE.A, 2)))!);
    assert.equal(second.header.rcode, RCODE.SERVFAIL);
    assert.ok(performance.now() - t0 < 300, "not queued behind the first");
    assert.equal(mustDecode((await first)!).header.rcode, RCODE.SERVFAIL, "the first one timed out upstream");
  } finally {
    await proxy.close();
    await silent.close();
  }
});

test("an idle TCP connection is closed; other opcodes get NOTIMP", async () => {
  const up = await fakeUpstream(answering);
  const proxy = await proxyFor(up.port, { policy: dnsPolicy("~*"), limits: { tcpIdleTimeoutMs: 150 } });
  const client = await TcpDnsClient.connect(proxy.ports.tcp);
  try {
    const update = buildQuery("zone.test", RR_TYPE.SOA, 4);
    update[2] = (update[2]! & 0x87) | (5 << 3);
    client.send(update);
    const reply = mustDecode((await client.next())!);
    assert.equal(reply.header.rcode, RCODE.NOTIMP);
    assert.equal(reply.header.opcode, 5);
    assert.equal(up.received.length, 0, "never forwarded");
    const t0 = performance.now();
    assert.ok(await client.waitClosed(2000));
    assert.ok(performance.now() - t0 >= 100);
  } finally {
    client.destroy();
    await proxy.close();
    await up.close();
  }
});

test("closing the proxy ends queries in flight and frees the port", async () => {
  const silent = await fakeUpstream(() => null);
  const proxy = await proxyFor(silent.port, { policy: dnsPolicy("~*") });
  const client = await TcpDnsClient.connect(proxy.ports.tcp);
  try {
    const pending = udpExchange(proxy.ports.udp, buildQuery("a.test", RR_TYPE.A, 1), 500);
    client.send(buildQuery("a.test", RR_TYPE.A, 2));
    await new Promise((r) => setTimeout(r, 50));
    await proxy.close();
    assert.equal(await pending, null);
    assert.ok(await client.waitClosed(1000));
    const again = await DnsProxy.start({
      listen: { host: "127.0.0.1", port: proxy.ports.udp },
      routeOf: () => null,
      policy: { policyFor: () => dnsPolicy() },
    });
    assert.ok(again.ok, again.ok ? "" : again.error);
    await again.value.close();
  } finally {
    client.destroy();
    await silent.close();
  }
});
