/**
 * The DNS side of a lab pod: the zone it answers as the cluster's DNS (A records from `zone`
 * requests, NXDOMAIN otherwise), over UDP and TCP, and the queries a `dns` case makes. Any answer
 * but REFUSED — the DNS proxy's denial — counts as answered; with `l4Only`, any answer at all.
 */
import { connect, type Socket } from "node:net";
import { CLASS_IN, decodeMessage, DnsFrameReader, dnsFrame, encodeMessage, RCODE, RR_TYPE, type DnsMessage } from "@membrane/proxy";
import { L7_DENIED, type ConnectRequest, type Exchange } from "./pod-protocol.ts";
import { udpExchange } from "./udp-exchange.ts";

type DnsExchange = Extract<Exchange, { kind: "dns" }>;
type Done = (error: string | null) => void;

/** Names this process answers, lowercased and fully qualified. */
const zone = new Map<string, string>();

const fqdn = (name: string): string => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/** Adds A records (name → address) to the zone. */
export function addToZone(records: Readonly<Record<string, string>>): void {
  for (const [name, ip] of Object.entries(records)) zone.set(fqdn(name), ip);
}

/** The answer to a DNS query from the zone; null when `msg` is not a query (a UDP greeting, say). */
export function dnsAnswer(msg: Uint8Array): Uint8Array | null {
  const q = decodeMessage(msg);
  const first = q.ok ? q.value.questions[0] : undefined;
  if (!q.ok || q.value.header.qr || first === undefined) return null;
  const ip = first.type === RR_TYPE.A ? zone.get(fqdn(first.name)) : undefined;
  const answer: DnsMessage = {
    header: { ...q.value.header, qr: true, aa: true, ra: true, rcode: ip === undefined ? RCODE.NXDOMAIN : RCODE.NOERROR },
    questions: [first],
    answers: ip === undefined ? [] : [{ name: first.name, type: RR_TYPE.A, class: CLASS_IN, ttl: 60, data: { kind: "a", address: ip } }],
    authorities: [],
    additionals: [],
  };
  const encoded = encodeMessage(answer);
  return encoded.ok ? encoded.value : null;
}

/**
 * Whether a TCP client's first bytes are a DNS query (RFC 1035 §4.2.2: a 2-byte length, then the
 * message). A Kafka frame's 4-byte size starts with two zero bytes, so it never looks like one.
 */
export function isDnsOverTcp(first: Buffer): boolean {
  if (first.length < 2 + 12 || first.readUInt16BE(0) === 0) return false;
  const q = decodeMessage(first.subarray(2, 2 + first.readUInt16BE(0)));
  return q.ok && !q.value.header.qr;
}

/** Answers length-prefixed DNS queries on a TCP connection until it ends. */
export function serveDnsTcp(s: Socket): void {
  const frames = new DnsFrameReader();
  s.on("data", (d: Buffer) => {
    for (const msg of frames.push(d)) {
      const answer = dnsAnswer(msg);
      if (answer === null) {
        s.destroy();
        return;
      }
      s.write(dnsFrame(answer));
    }
  });
}

/** An A query for `name` with a fresh id. */
function query(name: string): { readonly id: number; readonly bytes: Uint8Array } | string {
  const id = Math.floor(Math.random() * 0x10000);
  const encoded = encodeMessage({
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name: fqdn(name), type: RR_TYPE.A, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });
  return encoded.ok ? { id, bytes: encoded.value } : encoded.error.message;
}

/** Whether `msg` answers query `id`: undefined if not its answer; else the exchange's outcome. */
function outcomeOf(msg: Uint8Array, id: number, { l4Only }: DnsExchange): string | null | undefined {
  const a = decodeMessage(msg);
  if (!a.ok || a.value.header.id !== id || !a.value.header.qr) return undefined;
  return a.value.header.rcode === RCODE.REFUSED && !l4Only ? `${L7_DENIED}: DNS REFUSED` : null;
}

/** One A query over UDP, resent every 200 ms until answered. */
export function queryDnsUdp(r: ConnectRequest, x: DnsExchange, done: Done): () => void {
  const q = query(x.name);
  if (typeof q === "string") {
    done(q);
    return () => undefined;
  }
  return udpExchange(r, q.bytes, (msg) => outcomeOf(msg, q.id, x), done);
}

/** One A query over TCP (RFC 7766): length-prefixed both ways. */
export function queryDnsTcp(r: ConnectRequest, x: DnsExchange, done: Done): () => void {
  const q = query(x.name);
  if (typeof q === "string") {
    done(q);
    return () => undefined;
  }
  const s = connect({ host: r.ip, port: r.port, localAddress: r.source }, () => s.write(dnsFrame(q.bytes)));
  const frames = new DnsFrameReader();
  s.on("data", (d: Buffer) => {
    const [answer] = frames.push(d);
    if (answer === undefined) return;
    const outcome = outcomeOf(answer, q.id, x);
    done(outcome === undefined ? "an answer to another query" : outcome);
  });
  s.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  s.on("close", () => done("ECONNRESET"));
  return () => s.destroy();
}
