/**
 * How a Lambda's prebuilt bundle is loaded: as a CommonJS script compiled by `node:vm`, with the
 * V8 code cache the build made for it (scripts/code-cache.ts) when one was made for this V8.
 *
 * Why: most of a Lambda's own init is V8 parsing and compiling the bundle (callgrind: about 17 M of
 * the 31 M instructions `login` spends over its SDK floor went to parsing its 87 KB over the floor,
 * BENCHMARKS.md), and a code cache skips that: V8 deserializes the bytecode instead. Node's own
 * compile cache (NODE_COMPILE_CACHE) would do it too, but it is keyed by the exact Node.js version
 * and ES modules cannot take a cache through a public API; `vm.Script` takes one for any Node of
 * the same V8.
 *
 * Safe by construction: the cache file is named by `process.versions.v8` (with Node's patch level
 * of V8, the `-node.N` suffix) and `process.arch` (definitions/bundle-files.ts), so a runtime of
 * any other V8 or architecture never reads it; and V8 checks the cache itself (its version, the
 * source's length, the flags that enter its flag hash, the payload's length) and refuses one that
 * does not match (`cachedDataRejected`), compiling the source as if there were no
 * cache. V8 knows the source only by its length, though, so the file starts with the CRC-32 of the
 * source it was made from (as Node's own compile cache does), checked before V8 sees the cache: a
 * handler.cjs replaced without its cache is compiled afresh, not run with another's bytecode. A
 * refused or missing cache costs the plain compile, never a wrong result. The cache's own bytes are
 * code, as handler.cjs is, and are not checked again here: release builds of V8 skip the payload
 * checksum (a damaged payload crashes V8, measured, as a damaged handler.cjs would fail), and
 * Lambda checks the whole deployment package by its SHA-256; a 0.3 ms CRC of the 500 KB cache at
 * every cold start would guard against nothing a deployment can produce.
 *
 * Only here and in the build: a Lambda's flows never see this module.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { BUNDLE_SCRIPT, codeCacheFile } from '../definitions/bundle-files.js';

/** This runtime's code cache file name: its V8 and its architecture. */
export const ownCodeCacheFile = (): string => codeCacheFile(process.versions.v8, process.arch);

/** What became of the code cache: used, refused (by V8 or by its CRC), or none for this runtime. */
export type CodeCacheUse = 'accepted' | 'rejected' | 'none';

export interface CompiledBundle {
  readonly codeCache: CodeCacheUse;
  /** Runs the bundle's module scope (the Lambda's init) and returns its exports. */
  run(): Record<string, unknown>;
  /** The code cache file's bytes: the header (CACHE_HEADER_BYTES), then V8's cache of what is compiled so far. */
  serializeCache(): Buffer;
}

// The CommonJS module wrapper. The cache is tied to the exact source V8 compiled, wrapper included:
// the build and the loader both go through compileBundle, so they cannot disagree.
const HEAD = '(function (exports, require, module, __filename, __dirname) {';
const TAIL = '\n})';

const HEAD_BYTES = Buffer.from(HEAD);
const TAIL_BYTES = Buffer.from(TAIL);

/** Reads `size` bytes of `fd` (the file `file`) into `into` from offset `at`. */
function readInto(fd: number, file: string, into: Buffer, at: number, size: number): void {
  let read = 0;
  while (read < size) {
    const n = readSync(fd, into, at + read, size - read, read);
    if (n === 0) throw new Error(`${file} ended at ${read} of ${size} bytes`);
    read += n;
  }
}

/** The code cache file, open, or undefined when there is none for this runtime. */
function openCache(file: string): { file: string; fd: number; size: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    // Missing (another V8: not built for it) or unreadable: compile without it.
    return undefined;
  }
  try {
    return { file, fd, size: fstatSync(fd).size };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** The bundle's source, wrapped, its CRC-32, and the cache file's bytes (a view of the same buffer). */
export interface BundleFiles {
  readonly source: string;
  readonly sourceCrc: number;
  readonly cache: Buffer | undefined;
}

/**
 * Reads the bundle and its cache through one buffer: the file's bytes inside the wrapper's first,
 * decoded once into the source (one flat string, where joining the wrapper to the file's string
 * made V8 copy the whole source once more to flatten it: redirect, 90 fewer page faults at init,
 * getrusage) and their CRC-32 taken as they are (of a string, zlib would encode it to UTF-8 again
 * first: 0.3 M instructions for a 350 KB bundle, callgrind); then the cache over the same bytes,
 * which the source no longer needs. A buffer per file touched as many fresh pages again as the
 * source has (the kernel maps and zeroes a page at its first touch): measured, Node 24, median of 5,
 * redirect's init took 1803 page faults against 1886 with a buffer per file, its three-client floor
 * 1585 against 1652, about 0.1 ms less of each init (300 interleaved pairs; its ratio to the floor
 * the same within the noise, since both gain). The buffer is a backing store of its own
 * (allocUnsafeSlow), so the cache after its 8-byte header starts pointer-aligned
 * (CACHE_HEADER_BYTES says why that matters).
 */
export function readBundleFiles(file: string, cacheFile: string | undefined): BundleFiles {
  const fd = openSync(file, 'r');
  const cacheFd = cacheFile === undefined ? undefined : openCache(cacheFile);
  try {
    const size = fstatSync(fd).size;
    const wrapped = HEAD_BYTES.length + size + TAIL_BYTES.length;
    const buffer = Buffer.allocUnsafeSlow(Math.max(wrapped, cacheFd?.size ?? 0));
    HEAD_BYTES.copy(buffer, 0);
    readInto(fd, file, buffer, HEAD_BYTES.length, size);
    TAIL_BYTES.copy(buffer, HEAD_BYTES.length + size);
    const bytes = buffer.subarray(0, wrapped);
    const source = bytes.toString('utf8');
    const sourceCrc = crc32(bytes);
    if (cacheFd === undefined) return { source, sourceCrc, cache: undefined };
    try {
      readInto(cacheFd.fd, cacheFd.file, buffer, 0, cacheFd.size);
    } catch {
      // Unreadable: compile without it.
      return { source, sourceCrc, cache: undefined };
    }
    return { source, sourceCrc, cache: buffer.subarray(0, cacheFd.size) };
  } finally {
    closeSync(fd);
    if (cacheFd !== undefined) closeSync(cacheFd.fd);
  }
}

type ModuleFunction = (
  exports: Record<string, unknown>,
  require: NodeJS.Require,
  module: { exports: Record<string, unknown> },
  filename: string,
  dirname: string,
) => void;

/**
 * The cache file's header: the source's CRC-32 (big-endian), then 4 zero bytes, so that V8's cache
 * after it starts 8-byte aligned in the buffer read from the file. V8 copies a cache whose address is
 * not pointer-aligned before it deserializes it (AlignedCachedData): with a 4-byte header, that was
 * a copy of the whole cache at every cold start (669 K instructions and 163 fresh pages for
 * redirect's 667 KB, callgrind, Node 24).
 */
export const CACHE_HEADER_BYTES = 8;

/**
 * Compiles `<directory>/handler.cjs`, with its code cache unless `useCache` is false. `origin` is
 * the file name V8 records for the script (stack traces, and inside a cache made of it): the build
 * gives the path Lambda runs it from, so that a cache is the same bytes wherever it is built.
 */
export function compileBundle(
  directory: string,
  { useCache = true, origin }: { useCache?: boolean; origin?: string } = {},
): CompiledBundle {
  const file = join(directory, BUNDLE_SCRIPT);
  const { source, sourceCrc, cache } = readBundleFiles(
    file,
    useCache ? join(directory, ownCodeCacheFile()) : undefined,
  );
  const matches =
    cache !== undefined && cache.length > CACHE_HEADER_BYTES && cache.readUInt32BE(0) === sourceCrc;
  const script = new Script(source, {
    filename: origin ?? file,
    ...(matches ? { cachedData: cache.subarray(CACHE_HEADER_BYTES) } : {}),
  });
  const codeCache: CodeCacheUse =
    cache === undefined ? 'none' : !matches || script.cachedDataRejected ? 'rejected' : 'accepted';
  return {
    codeCache,
    serializeCache() {
      const header = Buffer.alloc(CACHE_HEADER_BYTES);
      header.writeUInt32BE(sourceCrc);
      return Buffer.concat([header, script.createCachedData()]);
    },
    run() {
      const module = { exports: {} as Record<string, unknown> };
      const wrapper = script.runInThisContext() as ModuleFunction;
      wrapper(module.exports, createRequire(file), module, file, directory);
      return module.exports;
    },
  };
}
