/**
 * Where Powertools' Logger and Metrics write (platform/logger.ts, platform/metrics.ts): the
 * process's file descriptors 1 and 2, written synchronously, through one `Console` for both.
 *
 * Why: Powertools builds `new Console({ stdout: process.stdout, stderr: process.stderr })` in every
 * Logger and Metrics constructor, and Node makes those two streams on first access: for a pipe, as
 * Lambda's stdout and stderr are, each is a `net.Socket`, the process's first sockets, whose code
 * Node compiles then. That is about 3.7 M instructions of every cold start (callgrind, Node 24,
 * `session`: +12.0 M over its SDK floor with them, +8.3 M without), a third of the project's own
 * init, spent on two objects whose only use is to pass each log line to write(2). Node writes a line
 * to a pipe synchronously itself whenever the pipe has room, so writing it with `fs.writeSync` is the
 * same system call in the same order, without the stream in between (also less work per line).
 *
 * When a write cannot complete at once (EAGAIN: the descriptor is non-blocking, as libuv makes it
 * when anything in the process opens `process.stdout` on a pipe, and the pipe is full), that write's
 * rest and every later write go to Node's own stream, which queues them: nothing is lost, and the
 * lines keep their order. Any other error of a write is the stream's error, which a `Console`
 * ignores, as Node's own console does (a closed stdout must not fail a request).
 *
 * Under `POWERTOOLS_DEV` Powertools writes through the global `console` instead (to show logs in
 * test runners and local tools), and so does this: its own rule, read by its own function.
 */
import { Console } from 'node:console';
import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import { isDevMode } from '@aws-lambda-powertools/commons/utils/env';

type Callback = (error?: Error | null) => void;

/** What a `Console` needs of a stream: `write`, and the error listeners it adds around each write. */
export class FdWriter extends EventEmitter {
  /** Once a write would have blocked, Node's stream for this descriptor, for that write and all later. */
  private fallback: NodeJS.WritableStream | undefined;

  constructor(
    readonly fd: number,
    /** Node's own stream of the same descriptor, asked for only once a write would block. */
    readonly nodeStream: () => NodeJS.WritableStream,
  ) {
    super();
  }

  /** Whether writes go through Node's stream now, since one would have blocked. */
  get handedOver(): boolean {
    return this.fallback !== undefined;
  }

  write(
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | Callback,
    callback?: Callback,
  ): boolean {
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (this.fallback) return this.fallback.write(chunk, done);
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encodingOrCallback === 'string' ? encodingOrCallback : 'utf8')
        : chunk;
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        this.emit('error', error);
        return false;
      }
      this.fallback = this.nodeStream();
      return this.fallback.write(bytes.subarray(offset), done);
    }
    done?.();
    return true;
  }
}

/** The process's two log descriptors (tests replace their `write` to read what is logged). */
export const logStreams = {
  stdout: new FdWriter(1, () => process.stdout),
  stderr: new FdWriter(2, () => process.stderr),
};

let shared: Console | undefined;

/** The console Logger and Metrics write through: one for the process, made at the first call. */
export function logConsole(): Console {
  if (isDevMode()) return console;
  shared ??= new Console({
    stdout: logStreams.stdout as unknown as NodeJS.WritableStream,
    stderr: logStreams.stderr as unknown as NodeJS.WritableStream,
    // Powertools logs strings, which no color mode changes; 'auto' would ask Node's colors module at
    // the first line, whose load reads process.stderr, and so make it after all.
    colorMode: false,
  });
  return shared;
}

/** What Powertools' Logger and Metrics keep their console in (a private field of both). */
export interface WithConsole {
  console: Console;
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
