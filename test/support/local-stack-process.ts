/**
 * `npm start` as a person runs it: `local/start.ts` in a child process, ready when it prints the
 * URL to open (with PORT=0, the port it got). Stopped by PID with a signal, SIGKILL if it does not
 * exit in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { PortInUseError } from '../../local/free-port.js';

export interface LocalStackProcess {
  readonly child: ChildProcess;
  /** The URL it printed, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** The PID of its DynamoDB Local (Java), from the start-up banner. */
  readonly javaPid: number;
  /** Everything it printed so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const READY = /Open (http:\/\/127\.0\.0\.1:\d+)\//;
/** What local/start.ts prints when PORT is taken. */
const PORT_IN_USE = /^PORT=(\d+): .*in use.*$/m;

export async function startLocalStackProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<LocalStackProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // After 'exit' the last of its output may still be on the way; 'close' comes after it.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return child.exitCode;
    process.kill(child.pid, signal);
    const timer = setTimeout(() => {
      if (child.pid && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGKILL');
    }, graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const deadline = Date.now() + timeoutMs;
  while (!READY.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop('SIGKILL');
      await closed;
      // A caller that picked PORT itself can try another.
      const inUse = PORT_IN_USE.exec(output);
      if (inUse) throw new PortInUseError(Number(inUse[1]), inUse[0]);
      throw new Error(`local stack did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url: READY.exec(output)?.[1] ?? '',
    javaPid: Number(/DynamoDB Local pid (\d+)/.exec(output)?.[1]),
    output: () => output,
    stop,
  };
}
