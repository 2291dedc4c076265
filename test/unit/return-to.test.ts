import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../lambdas/shared/http/return-to.js';

const ORIGIN = 'https://app.example';

/**
 * The property that matters is about what is *returned* (checklist D11, J29): a browser resolves
 * the `Location` of the redirect against the app's URL, so the result, parsed by the WHATWG URL
 * parser, must stay on the app's origin, and the value itself must begin with exactly one "/"
 * followed by neither "/" nor "\" (else it is a scheme-relative URL to another host).
 */
function assertSameOriginPath(result: string): void {
  expect(result.startsWith('/'), result).toBe(true);
  expect(['/', '\\'].includes(result.charAt(1)), result).toBe(false);
  const resolved = new URL(result, `${ORIGIN}/redirect`);
  expect(resolved.origin, result).toBe(ORIGIN);
  expect(resolved.pathname.startsWith('//'), result).toBe(false);
  // What a browser sends next is exactly what we returned (no further normalisation to exploit).
  expect(`${resolved.pathname}${resolved.search}${resolved.hash}`, result).toBe(result);
}

describe('safeReturnTo (checklist D11)', () => {
  it.each([
    ['/', '/'],
    ['/app', '/app'],
    ['/app/page?x=1&y=2#top', '/app/page?x=1&y=2#top'],
    ['/%7Euser', '/%7Euser'],
    ['/a.b/c..d/.e', '/a.b/c..d/.e'],
    ['/app?next=/../x', '/app?next=/../x'],
  ])('keeps the same-origin path %s', (input, expected) => {
    expect(safeReturnTo(input, '/home')).toBe(expected);
  });

  it.each([
    ['absolute URL', 'https://evil.example/'],
    ['javascript URL', 'javascript:alert(1)'],
    ['scheme-relative', '//evil.example/x'],
    ['backslash scheme-relative', '/\\evil.example'],
    ['backslash inside', '/a\\b'],
    ['encoded slash', '/%2F%2Fevil.example'],
    ['encoded backslash', '/%5Cevil.example'],
    ['CR/LF', '/a\r\nSet-Cookie: x=1'],
    ['encoded CR/LF', '/a%0d%0aSet-Cookie:x=1'],
    ['tab', '/a\tb'],
    ['encoded tab', '/a%09b'],
    ['NUL', '/a\u0000'],
    ['space', '/a b'],
    ['non-ASCII', '/ａｂｃ'],
    ['relative without slash', 'app'],
    ['empty', ''],
    ['oversize', `/${'a'.repeat(3000)}`],
    // Dot segments: the URL parser removes them, and what is left can start with "//".
    ['dot-dot then empty segment', '/a/..//evil.example'],
    ['dot then empty segment', '/.//evil.example'],
    ['dot-dot at the root', '/..//evil.example'],
    ['encoded dot-dot', '/a/%2e%2e//evil.example'],
    ['mixed encoded dot-dot', '/a/.%2E//evil.example'],
    ['encoded single dot', '/%2e//evil.example'],
    ['plain dot-dot', '/a/../b'],
    ['trailing dot', '/a/.'],
    ['dot-dot before query', '/a/..?x'],
  ])('falls back for %s', (_name, input) => {
    expect(safeReturnTo(input, '/home')).toBe('/home');
  });

  it('falls back when absent', () => {
    expect(safeReturnTo(undefined, '/home')).toBe('/home');
  });

  /** Pieces that URL parsers, browsers and decoders disagree on. */
  const piece = fc.constantFrom(
    '',
    '/',
    '\\',
    '.',
    '..',
    '%2e',
    '%2E',
    '.%2e',
    '%2e%2e',
    '%2f',
    '%2F',
    '%5c',
    '%5C',
    '%09',
    '%0a',
    '%00',
    '%',
    '@',
    ':',
    '?',
    '#',
    'a',
    'evil.example',
    'http:',
    '\t',
    ' ',
  );
  /** Arbitrary strings, path-shaped ones (segments between slashes), and anything at all. */
  const hostile = fc.oneof(
    fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
    fc
      .array(
        fc.array(piece, { maxLength: 3 }).map((parts) => parts.join('')),
        { minLength: 1, maxLength: 6 },
      )
      .map((segments) => `/${segments.join('/')}`),
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 32 }),
  );

  it('returns a same-origin path with exactly one leading "/" for any input (property)', () => {
    fc.assert(
      fc.property(hostile, (candidate) => {
        assertSameOriginPath(safeReturnTo(candidate, '/home'));
      }),
      { numRuns: 20_000 },
    );
  });

  it('returns inputs it accepts unchanged, so what was validated is what the browser gets (property)', () => {
    fc.assert(
      fc.property(hostile, (candidate) => {
        const result = safeReturnTo(candidate, '/home');
        if (result !== '/home') expect(result).toBe(candidate);
      }),
      { numRuns: 5_000 },
    );
  });
});
