/**
 * The exec wrapper every function starts through (lambdas/exec-wrapper.sh, AWS_LAMBDA_EXEC_WRAPPER):
 * run as Lambda's bootstrap runs it, with the runtime's command line, from the asset folder the
 * construct deploys. It must pass on every argument but `--expose-gc`, in its order, add
 * `--min-semi-space-size` beside the runtime's `--max-semi-space-size`, and become that command
 * (exec); and what it is for must hold on the Lambda runtime's Node: without the flag, Node
 * compiles its built-in modules from its own code cache, the bundle takes its cache, and the init
 * runs without a garbage collection.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXEC_WRAPPER } from '../../lambdas/shared/definitions/bundle-files.js';
import { ASSETS_FOLDER, BUNDLE_FILE } from '../../lib/assets.js';
import { CODE_CACHE_ENV, PROJECT_ROOT } from '../../lib/bundling.js';
import { lambdaNodeFlags, lambdaRuntimeFlags, node24 } from '../../scripts/node24.js';

const LOGIN = join(PROJECT_ROOT, ASSETS_FOLDER, 'login');
/** The wrapper as a function deploys it. */
const WRAPPER = join(LOGIN, EXEC_WRAPPER);
const lambdaNode = node24('x64');
/** What the runtime's bootstrap passes after the node binary: its flags, then its entry script. */
const RUNTIME_ENTRY = '/var/runtime/index.mjs';

/** Runs the wrapper with `args` (the command it is given) and answers what that command printed. */
const wrapped = (args: string[], env: Record<string, string | undefined> = {}) =>
  execFileSync(WRAPPER, args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

/** A stand-in for node that prints each argument it was given on a line of its own, as JSON. */
const PRINT_ARGS = [
  process.execPath,
  '-e',
  'for (const a of process.argv.slice(1)) console.log(JSON.stringify(a))',
];
const printed = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as string);

describe('the exec wrapper', () => {
  it("drops --expose-gc from the runtime's command, adds the young generation's start, and passes on every other argument, in its order", () => {
    // After `--`, node leaves the runtime's flags to the stand-in as plain arguments.
    for (const memory of [128, 256, 1769, 10240]) {
      const out = wrapped([...PRINT_ARGS, '--', ...lambdaRuntimeFlags(memory), RUNTIME_ENTRY]);
      expect(printed(out)).toEqual([...lambdaNodeFlags(memory), RUNTIME_ENTRY]);
    }
    expect(lambdaRuntimeFlags()).toContain('--expose-gc');
    expect(lambdaNodeFlags()).not.toContain('--expose-gc');
  });

  it.each([
    [128, '--max-semi-space-size=6', '--min-semi-space-size=6'],
    [256, '--max-semi-space-size=12', '--min-semi-space-size=12'],
    [1769, '--max-semi-space-size=88', '--min-semi-space-size=16'],
    [10240, '--max-semi-space-size=512', '--min-semi-space-size=16'],
  ])(
    'at %i MB starts the young generation at the runtime maximum, at most 16 MB (%s: %s)',
    (memory, max, min) => {
      const flags = printed(wrapped([...PRINT_ARGS, '--', ...lambdaRuntimeFlags(memory), RUNTIME_ENTRY]));
      expect(flags.slice(flags.indexOf(max), flags.indexOf(max) + 2)).toEqual([max, min]);
      expect(flags.filter((flag) => flag.startsWith('--min-semi-space-size'))).toEqual([min]);
    },
  );

  it("does the same under bash, Amazon Linux's /bin/sh (here /bin/sh may be dash)", () => {
    const args = [...PRINT_ARGS, '--', ...lambdaRuntimeFlags(), 'a b', '', RUNTIME_ENTRY];
    const out = execFileSync('bash', [WRAPPER, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(printed(out)).toEqual([...lambdaNodeFlags(), 'a b', '', RUNTIME_ENTRY]);
  });

  it('keeps arguments as they are: spaces, quotes, globs, empty ones, and look-alikes of the flag', () => {
    const args = [
      'a b',
      '',
      "it's",
      '"q"',
      '*',
      '$HOME',
      '--expose-gc=1',
      '--expose-gcx',
      '-',
      '\\n',
      // Not a size the wrapper reads: passed on, nothing added.
      '--max-semi-space-size=',
      '--max-semi-space-size=6x',
      '--max-semi-space-size',
      '12',
    ];
    const out = wrapped([...PRINT_ARGS, '--', '--expose-gc', ...args, '--expose-gc', 'last']);
    expect(printed(out)).toEqual([...args, 'last']);
  });

  it('becomes the command (exec): the same process, its exit status, its output and its environment', () => {
    const child = spawnSync(
      WRAPPER,
      [process.execPath, '-e', 'console.log(process.pid, process.env.MARK); process.exit(7)'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, MARK: 'kept' },
      },
    );
    expect(child.status).toBe(7);
    expect(child.stdout.trim()).toBe(`${child.pid} kept`);
  });

  it("on the Lambda runtime's Node, keeps Node's built-in modules on their code cache, and the bundle on its own", () => {
    expect(lambdaNode.command, lambdaNode.problem).toBeDefined();
    const [program, ...prefix] = lambdaNode.command as [string, ...string[]];
    expect(prefix).toEqual([]);
    // What Node compiled its built-in modules with (Node's own test API, behind a Node flag that
    // V8's flag hash does not see), after the login bundle's init, which loads the SDK's modules.
    const url = pathToFileURL(join(LOGIN, BUNDLE_FILE)).href;
    // And the collections V8 ran during that init (node:v8's GCProfiler).
    const probe = `
      const { GCProfiler } = await import('node:v8');
      const profiler = new GCProfiler();
      profiler.start();
      const m = await import(${JSON.stringify(url)});
      const collections = profiler.stop().statistics.length;
      const { internalBinding } = (await import('node:module')).createRequire(process.cwd() + '/')('internal/test/binding');
      const usage = internalBinding('builtins').getCacheUsage();
      // After the loader's own line, when it compiled the bundle.
      process.stdout.write('\\n' + JSON.stringify({
        execArgv: process.execArgv, gc: typeof globalThis.gc, bundle: m.codeCache, collections,
        withCache: [...usage.compiledWithCache], withoutCache: [...usage.compiledWithoutCache],
      }));`;
    const run = (command: string, args: string[]) =>
      JSON.parse(
        execFileSync(
          command,
          [...args, '--expose-internals', '--no-warnings', '--input-type=module', '-e', probe],
          {
            encoding: 'utf8',
            env: { PATH: process.env.PATH, ...CODE_CACHE_ENV },
          },
        )
          .split('\n')
          .at(-1) ?? '',
      ) as {
        execArgv: string[];
        gc: string;
        bundle: string;
        collections: number;
        withCache: string[];
        withoutCache: string[];
      };
    const behind = run(WRAPPER, [program, ...lambdaRuntimeFlags()]);
    expect(behind.execArgv.slice(0, lambdaNodeFlags().length)).toEqual(lambdaNodeFlags());
    expect(behind.gc).toBe('undefined');
    expect(behind.bundle).toBe('accepted');
    // The young generation starts at the runtime's maximum: no scavenge on the way through the init.
    expect(behind.collections).toBe(0);
    expect(behind.withCache).toEqual(
      expect.arrayContaining(['https', 'crypto', 'net', 'tls', '_http_agent']),
    );
    expect(behind.withoutCache.filter((id) => !id.startsWith('internal/test/'))).toEqual([]);
    // The runtime's command as it is: every built-in module compiled from its source, and the
    // bundle's cache refused (it is made for the flags behind the wrapper).
    const bare = run(program, lambdaRuntimeFlags());
    expect(bare.gc).toBe('function');
    expect(bare.bundle).toBe('rejected');
    expect(bare.collections).toBeGreaterThan(0);
    expect(bare.withCache).toEqual([]);
    expect(bare.withoutCache).toEqual(
      expect.arrayContaining(['https', 'crypto', 'net', 'tls', '_http_agent']),
    );
  }, 60_000);
});
