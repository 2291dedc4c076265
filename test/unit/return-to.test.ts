import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../lambdas/shared/return-to.js';

describe('safeReturnTo (checklist D11)', () => {
  it.each([
    ['/', '/'],
    ['/app', '/app'],
    ['/app/page?x=1&y=2#top', '/app/page?x=1&y=2#top'],
    ['/a/../b', '/b'],
    ['/%7Euser', '/%7Euser'],
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
    ['NUL', '/a\u0000'],
    ['space', '/a b'],
    ['non-ASCII', '/ａｂｃ'],
    ['relative without slash', 'app'],
    ['empty', ''],
    ['oversize', `/${'a'.repeat(3000)}`],
  ])('falls back for %s', (_name, input) => {
    expect(safeReturnTo(input, '/home')).toBe('/home');
  });

  it('falls back when absent', () => {
    expect(safeReturnTo(undefined, '/home')).toBe('/home');
  });
});
