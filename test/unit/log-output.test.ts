/**
 * Where Powertools' Logger and Metrics write (platform/log-output.ts): straight to descriptors 1 and
 * 2, never through `process.stdout` or `process.stderr`, with nothing lost or reordered when a pipe
 * is full. The children run the TypeScript sources through tsx, each with only its own environment.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { format } from 'node:util';
import { isDevMode } from '@aws-lambda-powertools/commons/utils/env';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { devMode, LogDescriptor, logConsole, logStreams } from '../../lambdas/shared/platform/log-output.js';
import { logger } from '../../lambdas/shared/platform/logger.js';
import { PROJECT_ROOT } from '../../lib/bundling.js';
import { WATCH_STREAMS } from '../support/watch-streams.js';

const LOG_OUTPUT = join(PROJECT_ROOT, 'lambdas/shared/platform/log-output.ts');
const LOGGER = join(PROJECT_ROOT, 'lambdas/shared/platform/logger.ts');
const METRICS = join(PROJECT_ROOT, 'lambdas/shared/platform/metrics.ts');

/**
 * The arguments that run `code` (an ES module, TypeScript imports allowed) in a fresh node. From a
 * file: tsx evaluates a `-e` script through a socket of its own, whose end reads process.stderr.
 */
function childArgs(code: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'log-output-child-'));
  children.push(dir);
  const file = join(dir, 'child.mjs');
  writeFileSync(file, code);
  return ['--import', 'tsx', file];
}
const children: string[] = [];
afterAll(() => {
  for (const dir of children) rmSync(dir, { recursive: true, force: true });
});
const childEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', ...env });

describe('LogDescriptor', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const tempFile = () => {
    dir = mkdtempSync(join(tmpdir(), 'log-output-'));
    return join(dir, 'out');
  };
  const noStream = () => {
    throw new Error('only a write that would block asks for the stream');
  };

  it('writes each text whole to its descriptor as UTF-8, in order', () => {
    const file = tempFile();
    const fd = openSync(file, 'w');
    const descriptor = new LogDescriptor(fd, noStream);
    try {
      descriptor.write('héllo ✓\n');
      descriptor.write('{"a":"\u00e9\u{1F600}"}\n');
      descriptor.write('');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('héllo ✓\n{"a":"\u00e9\u{1F600}"}\n');
    expect(descriptor.handedOver).toBe(false);
  });

  it("drops any other failure of a write, as Node's console does: a closed or read-only descriptor fails no request", () => {
    const file = tempFile();
    closeSync(openSync(file, 'w'));
    const fd = openSync(file, 'r');
    const descriptor = new LogDescriptor(fd, noStream);
    try {
      expect(() => descriptor.write('lost\n')).not.toThrow();
    } finally {
      closeSync(fd);
    }
    expect(() => descriptor.write('to a closed descriptor\n')).not.toThrow();
    expect(descriptor.handedOver).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('hands over when a real pipe is full: what the pipe took, then what the stream took, is every byte in order', () => {
    // A FIFO opened read-write and non-blocking: a kernel pipe with nobody reading, which takes
    // about 64 KB, then answers EAGAIN.
    const fifo = tempFile();
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const handed: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        handed.push(chunk);
        done();
      },
    });
    const descriptor = new LogDescriptor(fd, () => sink);
    const lines = Array.from({ length: 200 }, (_, i) => `${i} ${'y'.repeat(999)}\n`);
    try {
      for (const line of lines) descriptor.write(line);
      expect(descriptor.handedOver).toBe(true);
      const inPipe: Buffer[] = [];
      const buffer = Buffer.alloc(65_536);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buffer);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw error;
        }
        inPipe.push(Buffer.from(buffer.subarray(0, n)));
      }
      expect(inPipe.length).toBeGreaterThan(0);
      expect(Buffer.concat([...inPipe, ...handed]).toString()).toBe(lines.join(''));
    } finally {
      closeSync(fd);
    }
  });

  it("of the process hand over to Node's own stream of the same descriptor", () => {
    expect([logStreams.stdout.fd, logStreams.stderr.fd]).toEqual([1, 2]);
    expect(logStreams.stdout.nodeStream()).toBe(process.stdout);
    expect(logStreams.stderr.nodeStream()).toBe(process.stderr);
  });

  it("hands a write that would block, and every later one, to Node's stream: nothing lost, nothing reordered", async () => {
    // The child makes process.stdout first, so libuv sets its pipe non-blocking, as anything in a
    // Lambda that opens process.stdout would; then, with the parent not reading yet, it writes 4 MB
    // in numbered lines, far more than a pipe holds.
    const code = `
import { writeSync } from 'node:fs';
import { logStreams } from ${JSON.stringify(LOG_OUTPUT)};
void process.stdout;
for (let i = 0; i < 4096; i++) logStreams.stdout.write(i + ' ' + 'x'.repeat(1000) + '\\n');
writeSync(2, JSON.stringify({ handedOver: logStreams.stdout.handedOver }) + '\\n');
`;
    const child = spawn(process.execPath, childArgs(code), { cwd: PROJECT_ROOT, env: childEnv() });
    child.stdout.pause();
    let stderr = '';
    const chunks: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (stderr.includes('handedOver')) child.stdout.resume();
    });
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, stderr).toBe(0);
    expect(JSON.parse(stderr.trim().split('\n').at(-1) ?? '')).toEqual({ handedOver: true });
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4096);
    lines.forEach((line, i) => {
      if (line !== `${i} ${'x'.repeat(1000)}`) expect.fail(`line ${i} is ${line.slice(0, 40)}`);
    });
  }, 60_000);
});

describe('the log console of Logger and Metrics', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("writes log, info, debug and trace lines to descriptor 1, warn and error to 2: a lone string as it is, else as Node's console formats it", () => {
    vi.stubEnv('POWERTOOLS_DEV', '');
    const written: [number, string][] = [];
    const spies = [logStreams.stdout, logStreams.stderr].map((d) =>
      vi.spyOn(d, 'write').mockImplementation((text) => {
        written.push([d.fd, text]);
      }),
    );
    try {
      const target = logConsole();
      expect(target).not.toBe(console);
      target.log('{"level":"INFO"}');
      target.info('100%s %d');
      target.debug('a', 1, { b: [2] });
      target.trace('t');
      target.warn('w %s', 'x');
      target.error(new Error('e').message);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written).toEqual([
      [1, '{"level":"INFO"}\n'],
      [1, '100%s %d\n'],
      [1, `${format('a', 1, { b: [2] })}\n`],
      [1, 't\n'],
      [2, 'w x\n'],
      [2, 'e\n'],
    ]);
  });

  it('is the global console under POWERTOOLS_DEV, its trace a plain line, as in Powertools', () => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    expect(logConsole()).toBe(console);
    const trace = console.trace;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      logger.createChild({ logLevel: 'TRACE' }).trace('a trace in dev mode');
      expect(log).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({
        level: 'TRACE',
        message: 'a trace in dev mode',
      });
    } finally {
      log.mockRestore();
      console.trace = trace;
    }
    vi.stubEnv('POWERTOOLS_DEV', 'false');
    expect(logConsole()).not.toBe(console);
  });

  it("reads POWERTOOLS_DEV as Powertools' isDevMode() does, for every value and unset", () => {
    const agree = (value: string | undefined): void => {
      vi.stubEnv('POWERTOOLS_DEV', value);
      expect(devMode(), JSON.stringify(value)).toBe(isDevMode());
    };
    const known = ['true', 'TRUE', ' yes ', '1', 'y', 'on', 't', 'false', '0', 'no', 'off', 'n', 'f'];
    for (const value of [undefined, '', ' ', 'undefined', 'maybe']) agree(value);
    const on = known.filter((value) => {
      agree(value);
      return devMode();
    });
    expect(on).toEqual(known.slice(0, 7));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom(...known).map((v) => ` ${v.toUpperCase()}\t`),
        ),
        (value) => {
          agree(value);
        },
      ),
    );
  });

  it("is what the Logger's children write through too, traces as plain lines, as Powertools does", () => {
    const lines: string[] = [];
    const write = vi.spyOn(logStreams.stdout, 'write').mockImplementation((text) => {
      lines.push(text);
    });
    try {
      const child = logger.createChild({ logLevel: 'TRACE', persistentKeys: { child: 'yes' } });
      child.info('from a child');
      child.trace('a trace');
    } finally {
      write.mockRestore();
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.level, l.message, l.child])).toEqual([
      ['INFO', 'from a child', 'yes'],
      ['TRACE', 'a trace', 'yes'],
    ]);
  });

  it('takes every line of the Logger (children too) and of Metrics, and neither reads process.stdout or process.stderr', () => {
    const code = `${WATCH_STREAMS}
const { writeSync } = await import('node:fs');
const { logger } = await import(${JSON.stringify(LOGGER)});
const { powertoolsMeter, flushMetrics } = await import(${JSON.stringify(METRICS)});
logger.info('an info line', { n: 1 });
logger.warn('a warning');
logger.error('an error');
logger.createChild({ persistentKeys: { child: 'yes' } }).info('from a child');
logger.trace('a trace, as a plain line');
powertoolsMeter.count('LoginStarted');
powertoolsMeter.count('RefreshFailed', 'timeout');
flushMetrics.after();
writeSync(2, JSON.stringify({ touched }) + '\\n');
`;
    const child = spawnSync(process.execPath, childArgs(code), {
      cwd: PROJECT_ROOT,
      env: childEnv({ POWERTOOLS_LOG_LEVEL: 'TRACE', POWERTOOLS_SERVICE_NAME: 'log-output-test' }),
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const parsed = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const out = parsed(child.stdout);
    const metricOf = (l: Record<string, unknown>) =>
      (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics[0]
        ?.Metrics[0]?.Name;
    expect(out.map((l) => l.message ?? metricOf(l))).toEqual([
      'an info line',
      'from a child',
      'a trace, as a plain line',
      'RefreshFailed',
      'LoginStarted',
    ]);
    expect(out[0]).toMatchObject({ level: 'INFO', service: 'log-output-test', n: 1 });
    expect(out[1]).toMatchObject({ child: 'yes' });
    expect(out[3]).toMatchObject({ reason: 'timeout', RefreshFailed: 1 });
    const err = parsed(child.stderr);
    expect(err.map((l) => l.message ?? l.touched)).toEqual(['a warning', 'an error', []]);
    expect(err.map((l) => l.level)).toEqual(['WARN', 'ERROR', undefined]);
  });
});
