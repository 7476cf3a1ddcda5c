/**
 * UDP DNS load generators of the DNS proxy benchmark, on raw `node:dgram` sockets connected to the
 * server (so only its datagrams are read). Every query asks the same question; an answer counts
 * when it is a response with NOERROR and at least one answer record.
 *
 * - {@link closedLoop}: `sockets` × `window` queries always outstanding; each answer sends the
 *   next query at once. A query unanswered after {@link CLOSED_LOOP_LOST_MS} is counted lost and
 *   replaced (UDP drops datagrams when a socket's receive buffer is full: a burst of 256 queries
 *   can overflow the default 208 KiB of small datagrams).
 * - {@link pacedLoop}: queries issued at a fixed rate by a 1 ms timer; each latency runs from the
 *   tick that issued the query to its answer. Lost queries count as {@link LOST_MS}.
 */
import dgram from "node:dgram";

/** How long a paced query may go unanswered before it counts as lost (and its latency as this). */
export const LOST_MS = 1000;

/** How long a closed-loop query may go unanswered before it counts as lost and is replaced. */
export const CLOSED_LOOP_LOST_MS = 200;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function connected(port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  s.on("error", () => undefined);
  return new Promise((resolve) => s.connect(port, "127.0.0.1", () => resolve(s)));
}

/** Whether `m` answers query `id`: a response, NOERROR, with answer records. */
function good(m: Buffer): boolean {
  return m.length >= 12 && (m[2]! & 0x80) !== 0 && (m[3]! & 0x0f) === 0 && ((m[6]! << 8) | m[7]!) > 0;
}

export interface ClosedLoopResult {
  readonly qps: number;
  readonly answered: number;
  readonly errors: number;
  readonly lost: number;
}

/**
 * Keeps `sockets × window` queries (`window` ≤ 256 per socket) outstanding for
 * `warmupMs + durationMs`; counts the good answers that arrive in the measured window.
 */
export async function closedLoop(
  port: number,
  query: Uint8Array,
  sockets: number,
  window: number,
  warmupMs: number,
  durationMs: number,
): Promise<ClosedLoopResult> {
  const start = nowMs();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  let answered = 0;
  let errors = 0;
  let lost = 0;
  let running = true;
  const socks = await Promise.all(Array.from({ length: sockets }, () => connected(port)));
  const sweeps: (() => void)[] = [];
  for (const sock of socks) {
    // Slot i's query has ID (generation << 8 | i); a late answer of a replaced query is ignored.
    const buffers = Array.from({ length: window }, () => Buffer.from(query));
    const sentAt = new Float64Array(window);
    const gen = new Uint8Array(window);
    const send = (slot: number): void => {
      if (!running) return;
      const b = buffers[slot]!;
      b[0] = gen[slot]!;
      b[1] = slot;
      sentAt[slot] = nowMs();
      sock.send(b);
    };
    sock.on("message", (m: Buffer) => {
      if (m.length < 2) return;
      const slot = m[1]!;
      if (slot >= window || m[0] !== gen[slot]) return;
      const t = nowMs();
      if (t >= measureFrom && t < end) {
        if (good(m)) answered++;
        else errors++;
      }
      gen[slot] = (gen[slot]! + 1) & 0xff;
      send(slot);
    });
    sweeps.push(() => {
      const t = nowMs();
      for (let slot = 0; slot < window; slot++) {
        if (t - sentAt[slot]! < CLOSED_LOOP_LOST_MS) continue;
        if (t >= measureFrom) lost++;
        gen[slot] = (gen[slot]! + 1) & 0xff;
        send(slot);
      }
    });
    for (let slot = 0; slot < window; slot++) send(slot);
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (nowMs() >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      for (const sweep of sweeps) sweep();
    }, 50);
  });
  running = false;
  for (const s of socks) s.close();
  return { qps: answered / (durationMs / 1000), answered, errors, lost };
}

export interface PacedResult {
  readonly latenciesMs: number[];
  readonly offeredQps: number;
  readonly errors: number;
  readonly lost: number;
}

/** Offers `qps` queries per second for `warmupMs + durationMs`; latencies of those issued after the warm-up. */
export async function pacedLoop(port: number, query: Uint8Array, qps: number, warmupMs: number, durationMs: number): Promise<PacedResult> {
  const sock = await connected(port);
  const pending = new Map<number, number>();
  const latencies: number[] = [];
  let errors = 0;
  let nextId = 0;
  let issued = 0;
  let measured = 0;
  const start = nowMs();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  sock.on("message", (m: Buffer) => {
    if (m.length < 2) return;
    const id = (m[0]! << 8) | m[1]!;
    const stamp = pending.get(id);
    if (stamp === undefined) return;
    pending.delete(id);
    if (stamp < measureFrom) return;
    if (good(m)) latencies.push(nowMs() - stamp);
    else errors++;
  });
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = nowMs();
      if (t >= end) return resolve();
      const target = Math.floor(((t - start) * qps) / 1000);
      for (; issued < target; issued++) {
        const id = nextId;
        nextId = (nextId + 1) & 0xffff;
        if (pending.has(id)) continue;
        const b = Buffer.from(query);
        b[0] = id >> 8;
        b[1] = id & 0xff;
        pending.set(id, t);
        if (t >= measureFrom) measured++;
        sock.send(b);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const drainUntil = nowMs() + LOST_MS;
  while (pending.size > 0 && nowMs() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  sock.close();
  let lost = 0;
  for (const stamp of pending.values()) {
    if (stamp < measureFrom) continue;
    lost++;
    latencies.push(LOST_MS);
  }
  return { latenciesMs: latencies, offeredQps: measured / (durationMs / 1000), errors, lost };
}
