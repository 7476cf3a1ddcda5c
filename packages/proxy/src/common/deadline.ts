/**
 * One connection's deadline, moved at every request without a timer each time. Node's
 * setTimeout/clearTimeout allocate and relink a timer per call, and an HTTP/1 keep-alive connection
 * moves its deadline two or three times a request (idle → headers → none → idle): under load that
 * was a steady share of the proxy's garbage. Here one Timeout is pending at a time, for at most
 * `periodMs`; when it fires before the deadline it is scheduled again for the rest, so moving the
 * deadline later costs a clock read, and only moving it earlier than the pending Timeout replaces
 * it.
 */
export class Deadline {
  readonly #periodMs: number;
  readonly #onExpire: () => void;
  #timer: NodeJS.Timeout | null = null;
  /** When the pending Timeout fires (performance.now() time). */
  #firesAt = 0;
  /** When the deadline expires; 0: not armed. */
  #due = 0;
  #spanMs = 0;

  /** `periodMs`: the longest a Timeout waits; the shortest span the owner sets is a good choice. */
  constructor(periodMs: number, onExpire: () => void) {
    this.#periodMs = periodMs;
    this.#onExpire = onExpire;
  }

  /** Expires `ms` from now, in place of any earlier setting. */
  set(ms: number): void {
    const now = performance.now();
    this.#spanMs = ms;
    this.#due = now + ms;
    if (this.#timer !== null && this.#firesAt <= this.#due) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#schedule(now, ms);
  }

  /** Starts the current span again from now (progress on a transfer that must not stall). */
  extend(): void {
    if (this.#due !== 0) this.set(this.#spanMs);
  }

  /** Disarms; a pending Timeout finds nothing to do when it fires. */
  clear(): void {
    this.#due = 0;
  }

  /** Disarms and lets go of the pending Timeout: the connection is done. */
  stop(): void {
    this.#due = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(now: number, ms: number): void {
    const wait = Math.max(1, Math.min(ms, this.#periodMs));
    this.#firesAt = now + wait;
    this.#timer = setTimeout(this.#fire, wait);
  }

  readonly #fire = (): void => {
    this.#timer = null;
    if (this.#due === 0) return;
    const now = performance.now();
    // Node's timers may fire a fraction of a millisecond early: that is the deadline.
    if (this.#due - now >= 1) return this.#schedule(now, this.#due - now);
    this.#due = 0;
    this.#onExpire();
  };
}
