import { describe, expect, it } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';

const { session: SESSION_COOKIE, binding: bindingCookieName } = cookieNames();

import { clearCookie, readCookie, setCookie } from '../../lambdas/shared/http/cookies.js';
import { parseQuery } from '../../lambdas/shared/http/query.js';
import { escapeHtml } from '../../lambdas/shared/http/responses.js';

const limits = { maxLength: 100, maxParams: 4, maxValueLength: 20 };

describe('parseQuery', () => {
  it('decodes names and values, + as space', () => {
    expect([...parseQuery('a=1&b=x%20y+z&c', limits)]).toEqual([
      ['a', '1'],
      ['b', 'x y z'],
      ['c', ''],
    ]);
  });

  it('skips empty parts', () => {
    expect([...parseQuery('a=1&&b=2&', limits)]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('accepts a query at each limit exactly', () => {
    const longest = `a=${'x'.repeat(20)}&b=${'y'.repeat(20)}&c=1&d=${'z'.repeat(48)}`;
    expect(longest).toHaveLength(100);
    expect(parseQuery(longest, { ...limits, maxValueLength: 48 }).size).toBe(4);
    expect(parseQuery(`a=${'x'.repeat(20)}`, limits).get('a')).toHaveLength(20);
    expect(parseQuery('a=1&b=2&c=3&d=4', limits).size).toBe(4);
  });

  it('reads an empty or missing query as no parameters', () => {
    expect(parseQuery('', limits).size).toBe(0);
    expect(parseQuery(undefined, limits).size).toBe(0);
  });

  it.each([
    ['a=1&a=2', 'query_duplicate_param'],
    ['a=%zz', 'query_malformed'],
    ['a=%E0%A4%A', 'query_malformed'],
    ['a=%FF', 'query_malformed'],
    ['a=1&b=2&c=3&d=4&e=5', 'query_too_many_params'],
    [`a=${'x'.repeat(21)}`, 'query_value_too_long'],
    [`a=${'x'.repeat(200)}`, 'query_too_long'],
  ])('rejects %s with 400 %s', (raw, code) => {
    expect(() => parseQuery(raw, limits)).toThrow(expect.objectContaining({ status: 400, code }));
  });
});

describe('cookies', () => {
  it('sets __Host- cookies with Secure, HttpOnly, Path=/, SameSite=Lax and no Domain', () => {
    expect(setCookie(SESSION_COOKIE, 'v', 60)).toBe(
      '__Host-bff-session=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax',
    );
    expect(clearCookie(SESSION_COOKIE)).toBe(
      '__Host-bff-session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
    );
    expect(() => setCookie('session', 'v', 60)).toThrow(/__Host-/);
  });

  it('reads a cookie from the event, and treats a duplicated name as absent', () => {
    expect(readCookie({ cookies: ['a=1', `${SESSION_COOKIE}=abc`] }, SESSION_COOKIE)).toBe('abc');
    expect(
      readCookie({ cookies: [`${SESSION_COOKIE}=a`, `${SESSION_COOKIE}=b`] }, SESSION_COOKIE),
    ).toBeUndefined();
    expect(readCookie({ headers: { cookie: `x=1; ${SESSION_COOKIE}=h` } }, SESSION_COOKIE)).toBe('h');
    expect(readCookie({}, SESSION_COOKIE)).toBeUndefined();
  });

  it('trims names and values, and skips pairs without "="', () => {
    expect(readCookie({ headers: { cookie: `flag;  ${SESSION_COOKIE} = abc ;x=1` } }, SESSION_COOKIE)).toBe(
      'abc',
    );
    expect(readCookie({ cookies: [SESSION_COOKIE] }, SESSION_COOKIE)).toBeUndefined();
  });

  it('names each login binding cookie after its own state, so two tabs do not collide', () => {
    const a = bindingCookieName('A'.repeat(43));
    expect(a).toMatch(/^__Host-bff-login-[A-Za-z0-9_-]{16}$/);
    expect(bindingCookieName('B'.repeat(43))).not.toBe(a);
    expect(bindingCookieName('A'.repeat(43))).toBe(a);
  });
});

describe('escapeHtml', () => {
  it('escapes markup', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;',
    );
  });
});
