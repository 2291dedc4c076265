/**
 * Stand-ins for the two AWS services that have no local emulator: Secrets Manager
 * (GetSecretValue) and KMS (GenerateDataKey, Decrypt), speaking the SDK's JSON protocol on
 * 127.0.0.1. The handlers reach them through the SDK's own AWS_ENDPOINT_URL_SECRETS_MANAGER and
 * AWS_ENDPOINT_URL_KMS, so the deployed code path (secret by ARN, tokens under a KMS key) runs
 * unchanged and every call it makes can be counted. Not cryptography: the "encrypted" data key is
 * the key itself, marked and masked.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAws {
  readonly url: string;
  /** Requests by X-Amz-Target, e.g. `secretsmanager.GetSecretValue`. */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

const MAGIC = Buffer.from('BENCHKMS');
const mask = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));

export async function startFakeAws(secrets: Readonly<Record<string, string>>): Promise<FakeAws> {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      requests.set(target, (requests.get(target) ?? 0) + 1);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const send = (status: number, payload: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      const operation = target.split('.').pop();
      if (target.startsWith('secretsmanager.') && operation === 'GetSecretValue') {
        const id = String(body.SecretId);
        const value = secrets[id];
        if (value === undefined)
          return send(400, { __type: 'ResourceNotFoundException', message: 'no such secret' });
        return send(200, {
          ARN: id,
          Name: id.split(':').pop(),
          SecretString: value,
          VersionId: '00000000-0000-0000-0000-000000000001',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_700_000_000,
        });
      }
      if (target.startsWith('TrentService.') && operation === 'GenerateDataKey') {
        const key = randomBytes(32);
        return send(200, {
          KeyId: body.KeyId,
          Plaintext: key.toString('base64'),
          CiphertextBlob: Buffer.concat([MAGIC, mask(key)]).toString('base64'),
        });
      }
      if (target.startsWith('TrentService.') && operation === 'Decrypt') {
        const blob = Buffer.from(String(body.CiphertextBlob), 'base64');
        if (!blob.subarray(0, MAGIC.length).equals(MAGIC))
          return send(400, { __type: 'InvalidCiphertextException', message: 'not ours' });
        return send(200, {
          KeyId: body.KeyId,
          Plaintext: mask(blob.subarray(MAGIC.length)).toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      }
      return send(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
