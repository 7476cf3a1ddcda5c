/**
 * Character classes of HTTP/1.1 (RFC 9110, RFC 9112, RFC 3986), as 256-entry lookup tables so the
 * parser checks a byte with one index.
 */

function table(chars: string, ranges: readonly (readonly [number, number])[] = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) t[b] = 1;
  return t;
}

const ALNUM: readonly (readonly [number, number])[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** `tchar`: the characters of a token (methods, field names). */
export const TCHAR = table("!#$%&'*+-.^_`|~", ALNUM);

/**
 * The characters of an origin-form target: RFC 3986 `pchar`, `/` and `?`. `%` must start a valid
 * escape (checked apart). `#`, space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}` and `[`, `]` are not allowed.
 */
export const TARGET_CHAR = table("-._~!$&'()*+,;=:@/?%", ALNUM);

/** The characters of a host name or IPv4 address (`reg-name`), plus `%` of escapes. */
export const HOST_CHAR = table("-._~!$&'()*+,;=%", ALNUM);

/** Whether `b` is an ASCII hex digit. */
export function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Whether a whole string is a token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Whether a string is a valid `Host` / `:authority`: `host[:port]` with `host` a reg-name or `[IPv6]`. */
export function isAuthority(s: string): boolean {
  let i = 0;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 2 || !/^[0-9A-Fa-f:.]+$/.test(s.slice(1, close))) return false;
    i = close + 1;
  } else {
    while (i < s.length && s[i] !== ":") {
      if (HOST_CHAR[s.charCodeAt(i)] !== 1) return false;
      i++;
    }
  }
  if (i === s.length) return true;
  return s[i] === ":" && /^[0-9]{0,5}$/.test(s.slice(i + 1));
}

/** Whether a string is a valid origin-form target (`/path?query`) with well-formed `%` escapes. */
export function isOriginForm(s: string): boolean {
  if (!s.startsWith("/")) return false;
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (TARGET_CHAR[b] !== 1) return false;
    if (b === 0x25 && !(i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}
