import assert from "node:assert/strict";
import { test } from "node:test";
import { answerDetails, isLearnable, localReply } from "./replies.ts";
import { decodeMessage } from "./wire.ts";
import type { DnsMessage, DnsRecord } from "./wire-types.ts";

const A = (name: string, address: string, ttl: number): DnsRecord => ({ name, type: 1, class: 1, ttl, data: { kind: "a", address } });
const AAAA = (name: string, address: string, ttl: number): DnsRecord => ({
  name,
  type: 28,
  class: 1,
  ttl,
  data: { kind: "aaaa", address },
});
const CNAME = (name: string, target: string, ttl: number): DnsRecord => ({ name, type: 5, class: 1, ttl, data: { kind: "cname", target } });
const RRSIG = (name: string, ttl: number): DnsRecord => ({
  name,
  type: 46,
  class: 1,
  ttl,
  data: { kind: "opaque", bytes: new Uint8Array(3) },
});

const answer = (qname: string, rcode: number, ...answers: DnsRecord[]): DnsMessage => ({
  header: { id: 9, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, z: false, ad: false, cd: false, rcode },
  questions: [{ name: qname, type: 1, class: 1 }],
  answers,
  authorities: [],
  additionals: [],
});

test("E34: the IPs behind a CNAME belong to the question name; the TTL is the least of A, AAAA and CNAME", () => {
  const d = answerDetails(
    answer(
      "WWW.example.com.",
      0,
      CNAME("www.example.com.", "cdn.Example.net.", 20),
      CNAME("cdn.example.net.", "edge.example.net.", 40),
      A("edge.example.net.", "1.2.3.4", 60),
      AAAA("EDGE.example.net.", "2001:db8::1", 30),
      A("edge.example.net.", "1.2.3.4", 60),
      RRSIG("edge.example.net.", 5),
    ),
  );
  assert.deepEqual(d, {
    query: "www.example.com.",
    rcode: 0,
    ips: ["1.2.3.4", "2001:db8::1"],
    ttl: 20,
    cnames: ["cdn.Example.net.", "edge.example.net."],
    rrtypes: ["CNAME", "CNAME", "A", "AAAA", "A", "RRSIG"],
    qtypes: ["A"],
    chained: true,
  });
  assert.ok(isLearnable(d));
});

test("an answer whose records leave the CNAME chain teaches nothing (Cilium's ExtractMsgDetails)", () => {
  const d = answerDetails(answer("www.example.com.", 0, A("www.example.com.", "1.1.1.1", 60), A("evil.example.", "6.6.6.6", 60)));
  assert.equal(d.chained, false);
  assert.deepEqual(d.ips, []);
  assert.equal(isLearnable(d), false);
});

test("NXDOMAIN, answers without addresses and answers without a question are not learnable", () => {
  assert.equal(isLearnable(answerDetails(answer("x.example.", 3))), false);
  assert.equal(isLearnable(answerDetails(answer("x.example.", 0, CNAME("x.example.", "y.example.", 9)))), false);
  assert.equal(isLearnable(answerDetails(answer("x.example.", 2, A("x.example.", "1.2.3.4", 9)))), false);
  const noQuestion = { ...answer("x.example.", 0, A("x.example.", "1.2.3.4", 9)), questions: [] };
  assert.equal(isLearnable(answerDetails(noQuestion)), false);
});

test("a local reply keeps the ID, opcode, first question, RD, RA and CD; it carries nothing else", () => {
  const query: DnsMessage = {
    header: { id: 0x4242, qr: false, opcode: 0, aa: true, tc: false, rd: true, ra: false, z: true, ad: true, cd: true, rcode: 0 },
    questions: [
      { name: "Denied.Example.", type: 28, class: 1 },
      { name: "second.example.", type: 1, class: 1 },
    ],
    answers: [],
    authorities: [],
    additionals: [{ name: ".", type: 41, class: 1232, ttl: 0, data: { kind: "opaque", bytes: new Uint8Array(0) } }],
  };
  const reply = localReply(query, 5);
  assert.ok(reply.ok);
  assert.deepEqual(decodeMessage(reply.value), {
    ok: true,
    value: {
      header: { id: 0x4242, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: true, rcode: 5 },
      questions: [{ name: "Denied.Example.", type: 28, class: 1 }],
      answers: [],
      authorities: [],
      additionals: [],
    },
  });
});
