/**
 * The loader's compile step (lambdas/shared/platform/bundle-script.ts) on this Node, in process:
 * a bundle with no cache, with the cache it made itself, and with caches that do not belong to
 * it. The shipped bundles on Node 24 of both architectures: test/infra/bundling.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BUNDLE_SCRIPT,
  codeCacheFile,
  EXEC_WRAPPER,
  undeployedCodeCaches,
} from '../../lambdas/shared/definitions/bundle-files.js';
import {
  CACHE_HEADER_BYTES,
  compileBundle,
  ownCodeCacheFile,
  readBundleFiles,
} from '../../lambdas/shared/platform/bundle-script.js';

const SOURCE = [
  "const { sep } = require('node:path');",
  'let calls = 0;',
  'exports.handler = () => ({ calls: ++calls, sep, file: __filename, dir: __dirname, self: module.exports === exports });',
].join('\n');

describe('compileBundle', () => {
  // V8 keeps what it compiled by source in its own in-process cache, and a script found there
  // never looks at the cachedData it was given: off, so that each compile here is a cold start's.
  // (This file runs in its own process; the flag is put back after it.)
  beforeAll(() => setFlagsFromString('--no-compilation-cache'));
  afterAll(() => setFlagsFromString('--compilation-cache'));

  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-script-'));
    writeFileSync(join(dir, BUNDLE_SCRIPT), SOURCE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const handlerOf = (exports: Record<string, unknown>) => exports.handler as () => Record<string, unknown>;
  const writeCache = (bytes: Uint8Array) => writeFileSync(join(dir, ownCodeCacheFile()), bytes);

  it('runs the bundle as a CommonJS module: require, exports, module, __filename, __dirname', () => {
    const bundle = compileBundle(dir);
    expect(bundle.codeCache).toBe('none');
    const handler = handlerOf(bundle.run());
    expect(handler()).toEqual({ calls: 1, sep: '/', file: join(dir, BUNDLE_SCRIPT), dir, self: true });
    expect(handler()).toMatchObject({ calls: 2 });
  });

  it('takes the cache it made, for this V8 and architecture', () => {
    const first = compileBundle(dir);
    handlerOf(first.run())();
    writeCache(first.serializeCache());
    const second = compileBundle(dir);
    expect(second.codeCache).toBe('accepted');
    expect(handlerOf(second.run())()).toMatchObject({ calls: 1, sep: '/' });
  });

  it('ignores the cache when told to (the build makes a new one)', () => {
    writeCache(compileBundle(dir).serializeCache());
    expect(compileBundle(dir, { useCache: false }).codeCache).toBe('none');
  });

  it('refuses a cache made from another source of the same length, and compiles the source', () => {
    writeCache(compileBundle(dir).serializeCache());
    const changed = SOURCE.replace('++calls', '--calls');
    expect(changed.length).toBe(SOURCE.length);
    writeFileSync(join(dir, BUNDLE_SCRIPT), changed);
    const bundle = compileBundle(dir);
    expect(bundle.codeCache).toBe('rejected');
    expect(handlerOf(bundle.run())()).toMatchObject({ calls: -1 });
  });

  it.each([
    ['cut short', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['only its header', (b: Buffer) => b.subarray(0, CACHE_HEADER_BYTES)],
    ['shorter than its CRC', (b: Buffer) => b.subarray(0, 3)],
  ])('refuses a cache %s, and compiles the source', (_, cut) => {
    writeCache(cut(compileBundle(dir).serializeCache()));
    const bundle = compileBundle(dir);
    expect(bundle.codeCache).toBe('rejected');
    expect(handlerOf(bundle.run())()).toMatchObject({ calls: 1 });
  });

  it("lays its file out as the source's CRC-32, 4 zero bytes, then V8's cache, which so starts 8-byte aligned (else V8 copies it)", () => {
    const file = compileBundle(dir).serializeCache();
    expect(CACHE_HEADER_BYTES % 8).toBe(0);
    expect([...file.subarray(4, CACHE_HEADER_BYTES)]).toEqual([0, 0, 0, 0]);
    expect(file.length).toBeGreaterThan(CACHE_HEADER_BYTES);
    // The buffer the loader reads the file into starts aligned, so V8's part of it does too.
    writeCache(file);
    const { cache } = readBundleFiles(join(dir, BUNDLE_SCRIPT), join(dir, ownCodeCacheFile()));
    expect(cache?.byteOffset).toBe(0);
    expect((cache?.subarray(CACHE_HEADER_BYTES).byteOffset ?? 1) % 8).toBe(0);
  });

  // The source is decoded before the cache is read over the same bytes: whichever file is longer.
  it.each([
    ['longer than the source', ''],
    ['shorter than the source', `\n// ${'padding '.repeat(20_000)}`],
  ])('reads a cache %s whole, and the source whole before it', (_, padding) => {
    const source = `${SOURCE}${padding}`;
    writeFileSync(join(dir, BUNDLE_SCRIPT), source);
    const made = compileBundle(dir).serializeCache();
    writeCache(made);
    const files = readBundleFiles(join(dir, BUNDLE_SCRIPT), join(dir, ownCodeCacheFile()));
    expect(made.length > source.length).toBe(padding === '');
    expect(files.source).toBe(`(function (exports, require, module, __filename, __dirname) {${source}\n})`);
    expect(files.cache?.equals(made)).toBe(true);
    const bundle = compileBundle(dir);
    expect(bundle.codeCache).toBe('accepted');
    expect(handlerOf(bundle.run())()).toMatchObject({ calls: 1, sep: '/' });
  });

  it('compiles without a cache it cannot read (a folder by its name)', () => {
    mkdirSync(join(dir, ownCodeCacheFile()));
    expect(readBundleFiles(join(dir, BUNDLE_SCRIPT), join(dir, ownCodeCacheFile())).cache).toBeUndefined();
    const bundle = compileBundle(dir);
    expect(bundle.codeCache).toBe('none');
    expect(handlerOf(bundle.run())()).toMatchObject({ calls: 1 });
  });

  it('records the given origin as the script name (the build gives Lambda path)', () => {
    writeFileSync(join(dir, BUNDLE_SCRIPT), "exports.handler = () => new Error('x').stack;");
    const stack = String(handlerOf(compileBundle(dir, { origin: '/var/task/handler.cjs' }).run())());
    expect(stack).toContain('/var/task/handler.cjs');
  });
});

describe('code cache file names', () => {
  it('name the V8 version and the architecture, nothing a file name cannot hold', () => {
    expect(codeCacheFile('13.6.233.17-node.63', 'arm64')).toBe('handler.v8-13.6.233.17-node.63-arm64.cache');
    expect(codeCacheFile('1.2/3 4', 'x64')).toBe('handler.v8-1.2_3_4-x64.cache');
  });

  it("are this runtime's own: its V8 and its architecture", () => {
    expect(ownCodeCacheFile()).toBe(codeCacheFile(process.versions.v8, process.arch));
  });

  it.each(['arm64', 'x64'] as const)(
    "leave out of a %s function the other architecture's cache only",
    (arch) => {
      const globs = undeployedCodeCaches(arch).map(
        (glob) => new RegExp(`^${glob.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`),
      );
      const excluded = (name: string) => globs.some((glob) => glob.test(name));
      const v8 = '13.6.233.17-node.63';
      const other = arch === 'arm64' ? 'x64' : 'arm64';
      expect(excluded(codeCacheFile(v8, arch))).toBe(false);
      expect(excluded(codeCacheFile(v8, other))).toBe(true);
      expect(excluded(BUNDLE_SCRIPT)).toBe(false);
      expect(excluded('index.mjs')).toBe(false);
      expect(excluded(EXEC_WRAPPER)).toBe(false);
    },
  );
});
