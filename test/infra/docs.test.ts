/**
 * The README's props table is the reference: every prop of OAuthBackendProps must have a row in
 * it, and every row must be a prop.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

function propsOf(source: string, interfaceName: string): string[] {
  const start = source.indexOf(`export interface ${interfaceName} {`);
  const end = source.indexOf('\n}\n', start);
  if (start === -1 || end === -1) throw new Error(`no interface ${interfaceName}`);
  return [...source.slice(start, end).matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1] ?? '');
}

describe('the README props table', () => {
  const doc = read('README.md');
  const table = doc.slice(doc.indexOf('<!-- props:start -->'), doc.indexOf('<!-- props:end -->'));
  const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1] ?? '');
  const props = propsOf(read('lib/props.ts'), 'OAuthBackendProps');

  it('has a row for every prop of OAuthBackendProps, and no other', () => {
    expect(props.length).toBeGreaterThan(30);
    expect([...documented].sort()).toEqual([...props].sort());
  });
});
