/** The outcome of an operation on user input: a value, or the reason it could not be had. */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** A failed result. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** A programming error: raised when an invariant of membrane's own code breaks, never for user input. */
export class BugError extends Error {
  override readonly name = "BugError";
}

/** Marks a switch as exhaustive: the compiler rejects a call with anything but `never`. */
export function assertNever(x: never): never {
  throw new BugError(`unexpected value ${JSON.stringify(x)}`);
}
