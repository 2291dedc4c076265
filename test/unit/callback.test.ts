import { describe, expect, it } from 'vitest';
import { parseCallback } from '../../lambdas/shared/http/callback.js';

const state = 'S'.repeat(43);

describe('parseCallback (checklist C10)', () => {
  it('accepts a code response and keeps every parameter for validation', () => {
    const parsed = parseCallback(`code=abc.DEF-123&state=${state}&iss=https%3A%2F%2Fas.example`);
    expect(parsed.state).toBe(state);
    expect(parsed.outcome).toBe('code');
    expect(parsed.params.get('iss')).toBe('https://as.example');
  });

  it('accepts an iss of visible ASCII and spaces (RFC 6749 VSCHAR), left for the exact comparison', () => {
    expect(parseCallback(`code=a&state=${state}&iss=https%3A%2F%2Fas.example%2Fa+b~`).params.get('iss')).toBe(
      'https://as.example/a b~',
    );
  });

  it('accepts an error response', () => {
    expect(parseCallback(`error=access_denied&error_description=No+way&state=${state}`).outcome).toBe(
      'error',
    );
  });

  it.each([
    ['both code and error', `code=a&error=access_denied&state=${state}`, 'callback_bad_shape'],
    ['neither code nor error', `state=${state}`, 'callback_bad_shape'],
    ['no state', 'code=a', 'callback_bad_state'],
    ['short state', 'code=a&state=abc', 'callback_bad_state'],
    ['state with bad characters', `code=a&state=${'S'.repeat(42)}!`, 'callback_bad_state'],
    ['duplicated state', `code=a&state=${state}&state=${state}`, 'query_duplicate_param'],
    ['duplicated code', `code=a&code=b&state=${state}`, 'query_duplicate_param'],
    ['malformed percent-encoding', `code=%E0%A4&state=${state}`, 'query_malformed'],
    ['bad escape', `code=%G1&state=${state}`, 'query_malformed'],
    ['control character in code', `code=a%00b&state=${state}`, 'callback_bad_code'],
    ['quote in error', `error=a%22b&state=${state}`, 'callback_bad_error'],
    ['control character in iss', `code=a&state=${state}&iss=https%3A%2F%2Fas.example%0A`, 'callback_bad_iss'],
    ['non-ASCII iss', `code=a&state=${state}&iss=https%3A%2F%2F%C3%A4s.example`, 'callback_bad_iss'],
    ['empty iss', `code=a&state=${state}&iss=`, 'callback_bad_iss'],
    ['oversized code', `code=${'a'.repeat(5000)}&state=${state}`, 'query_value_too_long'],
    ['oversized query', `code=a&state=${state}&x=${'a'.repeat(9000)}`, 'query_too_long'],
    [
      'too many parameters',
      `code=a&state=${state}${'&x1=1&x2=2&x3=3&x4=4&x5=5&x6=6&x7=7&x8=8&x9=9&y1=1&y2=2&y3=3&y4=4&y5=5&y6=6'}`,
      'query_too_many_params',
    ],
    ['empty', '', 'callback_bad_state'],
  ])('rejects %s with 400', (_name, raw, code) => {
    expect(() => parseCallback(raw)).toThrow(expect.objectContaining({ status: 400, code }));
  });
});
