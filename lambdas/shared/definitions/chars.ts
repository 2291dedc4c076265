/**
 * Character checks of the formats the configuration loader validates at every cold start (scope
 * tokens, the cookie prefix, same-origin paths, the API proxy's paths, integers), written as loops
 * over char codes where a regular expression would read shorter. Why: V8's code cache
 * (platform/bundle-script.ts) holds a function's bytecode, but not a regular expression's compiled
 * matcher, so every regular expression an init runs is parsed and compiled at every cold start, and
 * compiled once more to machine code at its second use; a loop is bytecode in the cache like the
 * rest. Measured on Node 24 (first use after the SDK's own regular expressions, median of 4
 * processes): 10-17 µs for each of these patterns, 55-90 µs for the split on `\s+` (its species
 * path compiles a sticky copy); together about 0.15 ms of every Lambda's init, all of it in
 * loadConfig (0.36 -> 0.22 ms, README "Where the project's own init goes").
 *
 * Each function says the regular expression it stands for; test/unit/chars.test.ts holds them to
 * it (every UTF-16 code unit for the classes, fast-check for the strings). Side-effect free.
 */

/** Whether `value` is `min` to `max` UTF-16 code units long, each passing `ok`. */
export function everyChar(
  value: string,
  ok: (code: number) => boolean,
  min = 1,
  max = Number.POSITIVE_INFINITY,
): boolean {
  if (value.length < min || value.length > max) return false;
  for (let i = 0; i < value.length; i++) if (!ok(value.charCodeAt(i))) return false;
  return true;
}

/** `[0-9]` */
export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** `[A-Za-z0-9]` */
export const isAlphanumeric = (code: number): boolean =>
  isDigit(code) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);

/** `[\x21-\x7E]`: printable ASCII but the space. */
export const isVisibleAscii = (code: number): boolean => code >= 0x21 && code <= 0x7e;

/** `[A-Za-z0-9._~-]`: RFC 3986's unreserved characters. */
export const isUnreserved = (code: number): boolean =>
  isAlphanumeric(code) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;

/**
 * `\s`: what JavaScript counts as white space and line terminators (ECMA-262 WhiteSpace and
 * LineTerminator, the set `String.prototype.trim` removes).
 */
export function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** `value.split(/\s+/).join(' ')`: every run of white space made one space. */
export function collapseWhitespace(value: string): string {
  let out = '';
  let spaced = false;
  for (let i = 0; i < value.length; i++) {
    const space = isWhitespace(value.charCodeAt(i));
    if (!space) out += value[i];
    else if (!spaced) out += ' ';
    spaced = space;
  }
  return out;
}

/** `value.replace(/\/+$/, '')`: without its trailing slashes. */
export function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x2f) end--;
  return value.slice(0, end);
}
