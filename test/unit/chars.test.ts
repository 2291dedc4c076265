// The loops that stand in for regular expressions at cold start (definitions/chars.ts) against the
// regular expressions they replace: every UTF-16 code unit for the character classes, fast-check
// for the strings, the regular expression as the oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLiteralPath } from '../../lambdas/shared/definitions/api-routes.js';
import {
  collapseWhitespace,
  everyChar,
  isAlphanumeric,
  isDigit,
  isUnreserved,
  isVisibleAscii,
  isWhitespace,
  withoutTrailingSlashes,
} from '../../lambdas/shared/definitions/chars.js';
import { isCookiePrefix, isScopeToken } from '../../lambdas/shared/definitions/limits.js';
import { isSameOriginPath } from '../../lambdas/shared/definitions/urls.js';

const CLASSES: readonly [string, (code: number) => boolean, RegExp][] = [
  ['isDigit', isDigit, /^[0-9]$/],
  ['isAlphanumeric', isAlphanumeric, /^[A-Za-z0-9]$/],
  ['isVisibleAscii', isVisibleAscii, /^[\x21-\x7E]$/],
  ['isUnreserved', isUnreserved, /^[A-Za-z0-9._~-]$/],
  ['isWhitespace', isWhitespace, /^\s$/],
];

describe.each(CLASSES)('%s', (_name, predicate, oracle) => {
  it('agrees with its regular expression on every UTF-16 code unit', () => {
    const disagree: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      if (predicate(code) !== oracle.test(String.fromCharCode(code))) disagree.push(code);
    }
    expect(disagree).toEqual([]);
  });
});

// Strings mostly of the characters where the classes have their edges, and of anything at all.
const EDGES = [
  ...'azAZ09_-.~/\\!"#[]^`{}|%?=& \t\n\r\v\f',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '\u007f',
  '\u0085',
];
const edgy = fc.oneof(
  fc.string({ unit: fc.constantFrom(...EDGES), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const paths = fc.oneof(
  edgy,
  fc.string({ unit: fc.constantFrom(...'/a.~_-Z9%\\'), maxLength: 24 }),
  fc.string({ unit: fc.constantFrom(...'/a.~_-Z9%\\'), maxLength: 24 }).map((s) => `/${s}`),
);

describe('the string checks agree with the regular expressions they replace', () => {
  it('collapseWhitespace(s) is s.split(/\\s+/).join(" ")', () => {
    fc.assert(
      fc.property(edgy, (s) => collapseWhitespace(s) === s.split(/\s+/).join(' ')),
      { numRuns: 2000 },
    );
    for (const s of ['', ' ', '  ', 'a', ' a', 'a ', 'a  b', '\ta\u3000\u3000b\n', 'openid profile'])
      expect(collapseWhitespace(s)).toBe(s.split(/\s+/).join(' '));
  });

  it('withoutTrailingSlashes(s) is s.replace(/\\/+$/, "")', () => {
    fc.assert(
      fc.property(paths, (s) => withoutTrailingSlashes(s) === s.replace(/\/+$/, '')),
      { numRuns: 2000 },
    );
    expect(withoutTrailingSlashes('/v1//')).toBe('/v1');
    expect(withoutTrailingSlashes('///')).toBe('');
  });

  it('isScopeToken is /^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$/', () => {
    const oracle = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
    fc.assert(
      fc.property(edgy, (s) => isScopeToken(s) === oracle.test(s)),
      { numRuns: 2000 },
    );
    expect(isScopeToken('openid')).toBe(true);
    expect(isScopeToken('')).toBe(false);
    expect(isScopeToken('a"b')).toBe(false);
    expect(isScopeToken('a\\b')).toBe(false);
  });

  it('isCookiePrefix is /^[A-Za-z0-9_-]{1,32}$/', () => {
    const oracle = /^[A-Za-z0-9_-]{1,32}$/;
    fc.assert(
      fc.property(edgy, (s) => isCookiePrefix(s) === oracle.test(s)),
      { numRuns: 2000 },
    );
    expect(isCookiePrefix('a'.repeat(32))).toBe(true);
    expect(isCookiePrefix('a'.repeat(33))).toBe(false);
    expect(isCookiePrefix('')).toBe(false);
  });

  it('isLiteralPath is /^(\\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/', () => {
    const oracle = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
    fc.assert(
      fc.property(paths, (s) => isLiteralPath(s) === oracle.test(s)),
      { numRuns: 5000 },
    );
    for (const s of ['/api', '/api/orders', '/a.b/c', '/~x'])
      expect([s, isLiteralPath(s)]).toEqual([s, true]);
    for (const s of ['', '/', '//', '/api/', '/api//x', '/.x', '/api/.', '/a b', 'api'])
      expect([s, isLiteralPath(s)]).toEqual([s, false]);
  });

  it('isSameOriginPath first checks /^\\/(?![/\\\\])[\\x21-\\x7E]*$/, then the URL parser', () => {
    const oracle = /^\/(?![/\\])[\x21-\x7E]*$/;
    const parserKeeps = (s: string) => {
      const url = new URL(s, 'https://same-origin.invalid');
      return url.origin === 'https://same-origin.invalid' && `${url.pathname}${url.search}${url.hash}` === s;
    };
    fc.assert(
      fc.property(paths, (s) => isSameOriginPath(s) === (oracle.test(s) && parserKeeps(s))),
      { numRuns: 5000 },
    );
    for (const s of ['/', '/app', '/a?b=c#d']) expect([s, isSameOriginPath(s)]).toEqual([s, true]);
    for (const s of ['', '//evil.example', '/\\evil.example', 'app', '/a b', '/a/../b'])
      expect([s, isSameOriginPath(s)]).toEqual([s, false]);
  });

  it('everyChar holds the length bounds and looks at every code unit', () => {
    expect(everyChar('', isDigit)).toBe(false);
    expect(everyChar('', isDigit, 0)).toBe(true);
    expect(everyChar('123', isDigit, 1, 3)).toBe(true);
    expect(everyChar('1234', isDigit, 1, 3)).toBe(false);
    expect(everyChar('12a', isDigit)).toBe(false);
    expect(everyChar('a12', isDigit)).toBe(false);
  });
});
