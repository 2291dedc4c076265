/**
 * Where Powertools' Logger and Metrics write (platform/logger.ts, platform/metrics.ts): the
 * process's file descriptors 1 and 2, written synchronously.
 *
 * Why: Powertools builds `new Console({ stdout: process.stdout, stderr: process.stderr })` in every
 * Logger and Metrics constructor, and Node makes those two streams on first access: for a pipe, as
 * Lambda's stdout and stderr are, each is a `net.Socket`, the process's first sockets, whose code
 * Node compiles then: about 3.7 M instructions of every cold start, and 1 M more for the Console
 * around them (callgrind, Node 24, `session`: +12.0 M over its SDK floor with both, +7.2 M with this
 * module), two fifths of the project's own init, spent on objects whose only use is to pass each
 * log line to write(2). Node writes a line to a pipe synchronously itself whenever the pipe has
 * room, so writing it with `fs.writeSync` is the same system call in the same order, without the
 * stream in between (also less work per line).
 *
 * When a write cannot complete at once (EAGAIN: the descriptor is non-blocking, as libuv makes it
 * when anything in the process opens `process.stdout` on a pipe, and the pipe is full), that write's
 * rest and every later write go to Node's own stream, which queues them: nothing is lost, and the
 * lines keep their order. Any other failure of a write is dropped, as Node's console drops it (a
 * closed stdout must not fail a request).
 *
 * Under `POWERTOOLS_DEV` Powertools writes through the global `console` instead (to show logs in
 * test runners and local tools), and so does this, by Powertools' own parsing of the variable
 * (devMode below).
 */
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { getBooleanFromEnv } from '@aws-lambda-powertools/commons/utils/env';

/**
 * One of the process's log descriptors, written synchronously. A failure other than a full pipe is
 * dropped, as Node's console drops it.
 */
export class LogDescriptor {
  /** Once a write would have blocked, Node's stream for this descriptor, for that write and all later. */
  private handed: NodeJS.WritableStream | undefined;

  constructor(
    readonly fd: number,
    /** Node's own stream of the same descriptor, asked for only once a write would block. */
    readonly nodeStream: () => NodeJS.WritableStream,
  ) {}

  /** Whether writes go through Node's stream now, since one would have blocked. */
  get handedOver(): boolean {
    return this.handed !== undefined;
  }

  /** Writes `text` whole, in order with every write before it. */
  write(text: string): void {
    if (this.handed) {
      this.handed.write(text);
      return;
    }
    const bytes = Buffer.from(text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      this.handed = this.nodeStream();
      this.handed.write(bytes.subarray(offset));
    }
  }
}

/** The process's two log descriptors (tests replace their `write` to read what is logged). */
export const logStreams = {
  stdout: new LogDescriptor(1, () => process.stdout),
  stderr: new LogDescriptor(2, () => process.stderr),
};

/** What Powertools' Logger and Metrics call of their console. */
export type LogConsole = Pick<Console, 'log' | 'info' | 'debug' | 'trace' | 'warn' | 'error'>;

/**
 * A line as Node's console makes it: a lone string as it is (Powertools logs one JSON string), else
 * `util.format` of the arguments.
 */
const lineOf = (args: unknown[]): string =>
  `${args.length === 1 && typeof args[0] === 'string' ? args[0] : format(...args)}\n`;
const toStdout = (...args: unknown[]): void => logStreams.stdout.write(lineOf(args));
const toStderr = (...args: unknown[]): void => logStreams.stderr.write(lineOf(args));

/**
 * Node's console's methods on the two descriptors: log, info and debug to stdout, warn and error
 * to stderr; trace as a plain line to stdout, which is what Powertools makes of it (Lambda's way).
 * Not a `Console`: building one binds its two dozen methods and loads `node:console`, about 1 M
 * instructions at init (callgrind, Node 24), for methods Powertools never calls.
 */
const descriptorConsole: LogConsole = {
  log: toStdout,
  info: toStdout,
  debug: toStdout,
  trace: toStdout,
  warn: toStderr,
  error: toStderr,
};

/**
 * Whether POWERTOOLS_DEV is set true, with the same answer as Powertools' `isDevMode()` for every
 * value: its parsing (extended: 1, y, yes, on...), and false for a value it cannot parse. Not
 * `isDevMode()` itself: with the variable unset, that parses the string "undefined", throws and
 * catches an Error, stack trace and all, at every call: about 0.02 ms each at a cold start (CPU
 * profile, Node 24). Here an unset variable is the default, false, with nothing thrown. (The
 * construct also sets POWERTOOLS_DEV=false, lib/environment.ts, for Powertools' own two calls.)
 */
export function devMode(): boolean {
  try {
    return getBooleanFromEnv({ key: 'POWERTOOLS_DEV', defaultValue: false, extendedParsing: true });
  } catch {
    return false;
  }
}

/** The console Logger and Metrics write through; under POWERTOOLS_DEV, the global one. */
export function logConsole(): LogConsole {
  return devMode() ? console : descriptorConsole;
}

/** What Powertools' Logger and Metrics keep their console in (a private field of both). */
export interface WithConsole {
  console: LogConsole;
}

/**
 * Makes every instance of `subclass` (of Powertools' Logger or Metrics) take its console from
 * `install` in place of Powertools' `setConsole`, which its constructor calls to build one on
 * `process.stdout`. That method is private in Powertools' types, hence the prototype: the subclass
 * alone changes, Powertools' own classes stay as they are (an embedder's own Logger keeps its
 * stream). Should a Powertools release rename it, the subclass holds a method nothing calls and
 * Powertools writes through `process.stdout` again: the same logs, only the saving lost, and
 * test/unit/log-output.test.ts fails.
 */
export function installLogConsole(
  subclass: abstract new (...args: never[]) => unknown,
  install: (instance: WithConsole) => void,
): void {
  Object.defineProperty(subclass.prototype, 'setConsole', {
    value(this: WithConsole) {
      install(this);
    },
    configurable: true,
    writable: true,
  });
}
