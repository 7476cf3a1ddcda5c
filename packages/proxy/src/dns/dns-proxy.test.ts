import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startDnsmasq, type Dnsmasq } from "./test-support/dnsmasq.ts";
import { deadPort, dnsPolicy, fakeUpstream, lookupError, proxyFor, resolverFor } from "./test-support/proxy-fixtures.ts";
import { buildQuery, mustDecode, TcpDnsClient, udpExchange } from "./test-support/raw-client.ts";
import type { LearnedAnswer } from "./flow-record.ts";
import { RCODE, RR_TYPE } from "./wire-types.ts";

/**
 * End to end on 127.0.0.1: a real resolver (dnsmasq, see test-support/dnsmasq.ts for its zone)
 * behind the proxy, Node's stub resolver (UDP) and a raw client (TCP) in front of it.
 */

let dnsmasq: Dnsmasq | undefined;
const upstream = (): number => {
  if (dnsmasq === undefined) throw new Error("dnsmasq did not start");
  return dnsmasq.port;
};

before(async () => {
  dnsmasq = await startDnsmasq();
});
after(async () => {
  await dnsmasq?.stop();
});

const EXAMPLE = dnsPolicy("~*.example.com");

test("allowed names resolve with the upstream's answer (UDP, Node's resolver)", async () => {
  const proxy = await proxyFor(upstream(), { policy: EXAMPLE });
  try {
    const r = resolverFor(proxy.ports.udp);
    assert.deepEqual(await r.resolve4("api.example.com", { ttl: true }), [{ address: "93.184.216.34", ttl: 30 }]);
    assert.deepEqual(await r.resolve4("www.example.com"), ["93.184.216.34"]);
    assert.deepEqual(await r.resolveCname("www.example.com"), ["api.example.com"]);
    assert.deepEqual(await r.resolve6("v6.example.com"), ["2001:db8::1"]);
    assert.equal(proxy.ports.udp, proxy.ports.tcp);
  } finally {
    await proxy.close();
  }
});

test("denied names get REFUSED with the query's ID, question and RD; one DROPPED request flow", async () => {
  const proxy = await proxyFor(upstream(), {
    policy: EXAMPLE,
    context: { sourceIdentity: 4242, destination: "kube-system/coredns", port: 53 },
  });
  try {
    assert.equal(await lookupError(resolverFor(proxy.ports.udp).resolve4("x.blocked.test")), "EREFUSED");
    const reply = await udpExchange(proxy.ports.udp, buildQuery("X.Blocked.TEST", RR_TYPE.A, 0x5151));
    assert.ok(reply !== null);
    const m = mustDecode(reply);
    assert.equal(m.header.id, 0x5151);
    assert.equal(m.header.qr, true);
    assert.equal(m.header.rd, true);
    assert.equal(m.header.rcode, RCODE.REFUSED);
    assert.deepEqual(m.questions, [{ name: "X.Blocked.TEST.", type: RR_TYPE.A, class: 1 }]);
    assert.deepEqual(m.answers, []);
    const flows = proxy.flows.filter((f) => f.dns.query === "x.blocked.test.");
    assert.equal(flows.length, 2);
    for (const f of flows) {
      assert.equal(f.type, "REQUEST");
      assert.equal(f.verdict, "DROPPED");
      assert.equal(f.sourceIdentity, 4242);
      assert.equal(f.destination, "kube-system/coredns");
      assert.equal(f.port, 53);
      assert.deepEqual(f.dns.qtypes, ["A"]);
    }
  } finally {
    await proxy.close();
  }
});

test("audit mode: a denied name is forwarded and answered, recorded AUDIT, and its answer teaches nothing", async () => {
  const learned: LearnedAnswer[] = [];
  const proxy = await proxyFor(upstream(), {
    policy: { policyFor: () => dnsPolicy("~*.example.org"), auditedFor: () => true },
    onAnswer: (a) => void learned.push(a),
  });
  try {
    assert.deepEqual(await resolverFor(proxy.ports.udp).resolve4("api.example.com"), ["93.184.216.34"]);
    assert.deepEqual(
      proxy.flows.map((f) => [f.type, f.verdict]),
      [
        ["REQUEST", "AUDIT"],
        ["RESPONSE", "FORWARDED"],
      ],
    );
    assert.deepEqual(learned, []);
  } finally {
    await proxy.close();
  }
});

test("rejectCode nameError answers denied names with NXDOMAIN", async () => {
  const proxy = await proxyFor(upstream(), { policy: EXAMPLE, rejectCode: "nameError" });
  try {
    assert.equal(await lookupError(resolverFor(proxy.ports.udp).resolve4("x.blocked.test")), "ENOTFOUND");
    const reply = await udpExchange(proxy.ports.udp, buildQuery("x.blocked.test", RR_TYPE.A, 7));
    assert.equal(mustDecode(reply!).header.rcode, RCODE.NXDOMAIN);
  } finally {
    await proxy.close();
  }
});

test("pattern semantics: *.example.com takes one label, any case, with or without the trailing dot", async () => {
  const proxy = await proxyFor(upstream(), { policy: dnsPolicy("~*.example.com", "blocked.test") });
  try {
    const rcode = async (name: string): Promise<number> => {
      const reply = await udpExchange(proxy.ports.udp, buildQuery(name, RR_TYPE.A, 99));
      return mustDecode(reply!).header.rcode;
    };
    assert.equal(await rcode("api.example.com"), RCODE.NOERROR);
    assert.equal(await rcode("API.Example.COM."), RCODE.NOERROR);
    assert.equal(await rcode("example.com"), RCODE.REFUSED, "* needs one label in front");
    assert.equal(await rcode("a.b.example.com"), RCODE.REFUSED, "* never crosses a dot");
    assert.equal(await rcode("BLOCKED.test."), RCODE.NOERROR, "matchName, any case");
    assert.equal(await rcode("x.blocked.test"), RCODE.REFUSED, "matchName is exact");
    const answer = mustDecode((await udpExchange(proxy.ports.udp, buildQuery("API.Example.COM", RR_TYPE.A, 98)))!);
    assert.deepEqual(
      answer.answers.map((a) => a.data),
      [{ kind: "a", address: "93.184.216.34" }],
    );
  } finally {
    await proxy.close();
  }
});

test("allow-all and non-DNS policies: every name, or none", async () => {
  const all = await proxyFor(upstream(), { policy: { kind: "allow-all", parser: "dns", why: "test" } });
  const none = await proxyFor(upstream(), { policy: { kind: "conflict", message: "test" } });
  try {
    assert.deepEqual(await resolverFor(all.ports.udp).resolve4("x.blocked.test"), ["10.9.9.9"]);
    assert.equal(await lookupError(resolverFor(none.ports.udp).resolve4("api.example.com")), "EREFUSED");
  } finally {
    await Promise.all([all.close(), none.close()]);
  }
});

test("E34: onAnswer gets the question name, its A record and the smallest TTL, CNAME included — before the client does", async () => {
  const events: string[] = [];
  const learned: LearnedAnswer[] = [];
  const proxy = await proxyFor(upstream(), {
    policy: EXAMPLE,
    onAnswer: async (a) => {
      learned.push(a);
      await new Promise((r) => setTimeout(r, 30));
      events.push(`learned ${a.name}`);
    },
  });
  try {
    const r = resolverFor(proxy.ports.udp);
    assert.deepEqual(await r.resolve4("www.example.com"), ["93.184.216.34"]);
    events.push("answered www");
    assert.deepEqual(await r.resolve4("API.example.com"), ["93.184.216.34"]);
    events.push("answered api");
    assert.deepEqual(learned, [
      { name: "www.example.com.", ips: ["93.184.216.34"], ttlSeconds: 5 },
      { name: "api.example.com.", ips: ["93.184.216.34"], ttlSeconds: 30 },
    ]);
    assert.deepEqual(events, ["learned www.example.com.", "answered www", "learned api.example.com.", "answered api"]);
    // Refused names and names without addresses teach nothing.
    await lookupError(r.resolve4("x.blocked.test"));
    await lookupError(r.resolve4("nothing.example.com"));
    assert.equal(learned.length, 2);
  } finally {
    await proxy.close();
  }
});

test("a stalled onAnswer holds the answer at most responseMaxDelayMs", async () => {
  const proxy = await proxyFor(upstream(), {
    policy: EXAMPLE,
    onAnswer: () => new Promise<void>(() => undefined),
    limits: { responseMaxDelayMs: 150 },
  });
  try {
    const t0 = performance.now();
    assert.deepEqual(await resolverFor(proxy.ports.udp).resolve4("api.example.com"), ["93.184.216.34"]);
    const waited = performance.now() - t0;
    assert.ok(waited >= 140 && waited < 2000, `answered after ${waited} ms`);
  } finally {
    await proxy.close();
  }
});

test("flow records: a FORWARDED request, then a FORWARDED response with Hubble's DNS fields", async () => {
  const proxy = await proxyFor(upstream(), { policy: EXAMPLE, context: { sourceIdentity: 300, destination: "1.1.1.1", port: 53 } });
  try {
    await resolverFor(proxy.ports.udp).resolve4("www.example.com");
    const [req, resp, ...rest] = proxy.flows;
    assert.equal(rest.length, 0);
    assert.ok(req !== undefined && resp !== undefined);
    assert.deepEqual(
      {
        type: req.type,
        verdict: req.verdict,
        dns: req.dns,
        id: req.sourceIdentity,
        dst: req.destination,
        proto: req.protocol,
        lat: req.latencyNs,
      },
      {
        type: "REQUEST",
        verdict: "FORWARDED",
        dns: { query: "www.example.com.", qtypes: ["A"] },
        id: 300,
        dst: "1.1.1.1",
        proto: "udp",
        lat: undefined,
      },
    );
    assert.equal(resp.type, "RESPONSE");
    assert.equal(resp.verdict, "FORWARDED");
    assert.deepEqual(resp.dns, {
      query: "www.example.com.",
      qtypes: ["A"],
      rcode: 0,
      ips: ["93.184.216.34"],
      ttl: 5,
      cnames: ["api.example.com."],
      rrtypes: ["CNAME", "A"],
    });
    assert.ok(resp.latencyNs !== undefined && resp.latencyNs > 0n);
    assert.equal(resp.server, `127.0.0.1:${upstream()}`);
    assert.match(resp.client, /^127\.0\.0\.1:\d+$/);
    assert.ok(resp.time instanceof Date);
  } finally {
    await proxy.close();
  }
});

test("TCP: several pipelined queries on one connection, answered by ID; a half-close gets its answers first", async () => {
  const proxy = await proxyFor(upstream(), { policy: EXAMPLE });
  const client = await TcpDnsClient.connect(proxy.ports.tcp);
  try {
    client.send(buildQuery("api.example.com", RR_TYPE.A, 1));
    client.send(buildQuery("x.blocked.test", RR_TYPE.A, 2));
    client.send(buildQuery("www.example.com", RR_TYPE.A, 3));
    client.end();
    const answers = new Map<number, ReturnType<typeof mustDecode>>();
    for (let i = 0; i < 3; i++) {
      const f = await client.next();
      assert.ok(f !== null, `answer ${i + 1} of 3`);
      const m = mustDecode(f);
      answers.set(m.header.id, m);
    }
    assert.equal(answers.get(1)?.header.rcode, RCODE.NOERROR);
    assert.deepEqual(
      answers.get(1)?.answers.map((a) => a.data),
      [{ kind: "a", address: "93.184.216.34" }],
    );
    assert.equal(answers.get(2)?.header.rcode, RCODE.REFUSED);
    assert.deepEqual(
      answers.get(3)?.answers.map((a) => a.data.kind),
      ["cname", "a"],
    );
    assert.ok(await client.waitClosed(), "the proxy ends the connection after the last answer");
    assert.ok(proxy.flows.every((f) => f.protocol === "tcp"));
  } finally {
    client.destroy();
    await proxy.close();
  }
});

test("malformed queries are dropped (UDP) or end the connection (TCP), and never forwarded", async () => {
  const proxy = await proxyFor(upstream(), { policy: { kind: "allow-all", parser: "dns", why: "test" } });
  const client = await TcpDnsClient.connect(proxy.ports.tcp);
  try {
    assert.equal(await udpExchange(proxy.ports.udp, Uint8Array.of(1, 2, 3), 300), null, "garbage");
    const response = buildQuery("api.example.com", RR_TYPE.A, 5);
    response[2] = response[2]! | 0x80;
    assert.equal(await udpExchange(proxy.ports.udp, response, 300), null, "a response is not a query");
    const noQuestion = buildQuery("api.example.com", RR_TYPE.A, 6).slice(0, 12);
    noQuestion[5] = 0;
    assert.equal(await udpExchange(proxy.ports.udp, noQuestion, 300), null, "no question");
    client.send(buildQuery("api.example.com", RR_TYPE.A, 8));
    assert.ok((await client.next()) !== null);
    client.send(Uint8Array.of(0, 1, 0xc0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c));
    assert.ok(await client.waitClosed(), "the connection is closed");
    assert.deepEqual(
      proxy.flows.map((f) => `${f.type} ${f.dns.query}`),
      ["REQUEST api.example.com.", "RESPONSE api.example.com."],
    );
  } finally {
    client.destroy();
    await proxy.close();
  }
});

test("SERVFAIL when the upstream is down (UDP and TCP)", async () => {
  const proxy = await proxyFor(await deadPort(), { policy: EXAMPLE, limits: { upstreamTimeoutMs: 300 } });
  const client = await TcpDnsClient.connect(proxy.ports.tcp);
  try {
    assert.equal(await lookupError(resolverFor(proxy.ports.udp).resolve4("api.example.com")), "ESERVFAIL");
    client.send(buildQuery("api.example.com", RR_TYPE.A, 77));
    const m = mustDecode((await client.next())!);
    assert.equal(m.header.id, 77);
    assert.equal(m.header.rcode, RCODE.SERVFAIL);
    const errors = proxy.flows.filter((f) => f.type === "RESPONSE");
    assert.deepEqual(
      errors.map((f) => [f.verdict, f.dns.rcode]),
      [
        ["ERROR", RCODE.SERVFAIL],
        ["ERROR", RCODE.SERVFAIL],
      ],
    );
  } finally {
    client.destroy();
    await proxy.close();
  }
});

test("a silent upstream gets the query again (under the proxy's own ID) until the attempts run out, then the client gets SERVFAIL", async () => {
  const silent = await fakeUpstream(() => null);
  const proxy = await proxyFor(silent.port, { policy: EXAMPLE, limits: { upstreamTimeoutMs: 100, udpAttempts: 3 } });
  try {
    const t0 = performance.now();
    const reply = await udpExchange(proxy.ports.udp, buildQuery("api.example.com", RR_TYPE.A, 0x0a0a));
    assert.ok(reply !== null);
    assert.equal(mustDecode(reply).header.rcode, RCODE.SERVFAIL);
    assert.ok(performance.now() - t0 >= 250);
    assert.equal(silent.received.length, 3);
    const ids = new Set(silent.received.map((q) => q.readUInt16BE(0)));
    assert.equal(ids.size, 1, "retries resend the same upstream query");
    assert.deepEqual(mustDecode(new Uint8Array(silent.received[0]!)).questions, [{ name: "api.example.com.", type: 1, class: 1 }]);
  } finally {
    await proxy.close();
    await silent.close();
  }
});

test("a malformed upstream answer gives SERVFAIL", async () => {
  const broken = await fakeUpstream((q) => Uint8Array.of(q[0]!, q[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0));
  const proxy = await proxyFor(broken.port, { policy: EXAMPLE });
  try {
    const reply = await udpExchange(proxy.ports.udp, buildQuery("api.example.com", RR_TYPE.A, 3));
    assert.equal(mustDecode(reply!).header.rcode, RCODE.SERVFAIL);
  } finally {
    await proxy.close();
    await broken.close();
  }
});

test("load: 2,000 queries through the proxy are all answered", async () => {
  let learned = 0;
  const proxy = await proxyFor(upstream(), { policy: EXAMPLE, onAnswer: () => void learned++ });
  try {
    const r = resolverFor(proxy.ports.udp, 5000);
    const names = ["api.example.com", "www.example.com", "x.blocked.test", "v6.example.com"];
    let answered = 0;
    const t0 = performance.now();
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const name = names[i % names.length]!;
          return name.startsWith("v6") ? lookupError(r.resolve6(name)) : lookupError(r.resolve4(name));
        }),
      );
      answered += results.filter((x) => x === "resolved" || x === "EREFUSED").length;
    }
    assert.equal(answered, 2000);
    assert.equal(learned, 1500);
    assert.equal(proxy.flows.length, 500 + 1500 * 2);
    console.log(`# 2000 queries in ${Math.round(performance.now() - t0)} ms`);
  } finally {
    await proxy.close();
  }
});
