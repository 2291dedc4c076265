/**
 * DynamoDB Local as the local stack and the tests start it, on ports another process holds: a
 * port it picked itself costs it a retry on another, a port it was given fails naming it. Real
 * Java processes; the port holder is an HTTP server that answers everything, so a check that the
 * port merely accepts connections would take it for DynamoDB Local.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { freePort, PortInUseError } from '../../local/free-port.js';
import { isAlive } from '../support/process-alive.js';

const started: DynamoDbLocal[] = [];
const holders: Server[] = [];
afterEach(async () => {
  for (const dynamo of started.splice(0)) await dynamo.stop();
  for (const holder of holders.splice(0)) await new Promise((resolve) => holder.close(resolve));
});

/** Another process's server on a port: 200 `{}` to every request. */
async function holdPort(): Promise<number> {
  const holder = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  );
  holders.push(holder);
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return (holder.address() as AddressInfo).port;
}

describe('DynamoDB Local on a port another process holds', () => {
  it('starts on another port when the one it picked was taken, and answers there', async () => {
    const busy = await holdPort();
    const picked: number[] = [];
    // The race made certain: the first port handed out is already taken when Java starts.
    const pickPort = async () => {
      const port = picked.length === 0 ? busy : await freePort();
      picked.push(port);
      return port;
    };
    const dynamo = await startDynamoDbLocal({ pickPort });
    started.push(dynamo);

    expect(picked).toHaveLength(2);
    expect(picked[0]).toBe(busy);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${picked[1]}`);
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      client.destroy();
    }
    // The holder keeps its port and its own answers.
    expect(await (await fetch(`http://127.0.0.1:${busy}/`)).text()).toBe('{}');

    await dynamo.stop();
    expect(isAlive(dynamo.pid)).toBe(false);
  }, 90_000);

  it('fails with a message naming the port when the port it was given is taken', async () => {
    const busy = await holdPort();
    const failed = await startDynamoDbLocal({ port: busy }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PortInUseError);
    expect((failed as PortInUseError).port).toBe(busy);
    expect((failed as PortInUseError).message).toBe(
      `DynamoDB Local could not listen on port ${busy}: another process is using it`,
    );
  }, 60_000);
});
