import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, createTable, DynamoStore } from '../../lambdas/shared/dynamo-store.js';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
const ddb = await startDynamoDbLocal();
process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
try {
  const client = new DynamoDBClient({});
  await createTable(client, 'bench');
  const store = new DynamoStore(createDocumentClient(client), 'bench');
  const now = Math.floor(Date.now() / 1000);
  const mk = () => ({ idHash: randomBytes(32).toString('base64url'), claims: {}, accessToken: randomBytes(450).toString('base64url'), tokenType: 'bearer', accessTokenExpiresAt: now + 3600, refreshToken: randomBytes(32).toString('base64url'), scope: 'api', createdAt: now, expiresAt: now + 28800, version: 0 });
  for (const conc of [8, 32]) {
    const n = 4000; let i = 0; const t = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while (i++ < n) await store.createSession(mk()); }));
    console.log('createSession conc', conc, ((n / (performance.now() - t)) * 1000).toFixed(0), '/s');
  }
  for (const conc of [4, 8]) {
    const n = 8000; let i = 0; const t = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while ((i += 25) <= n) await client.send(new BatchWriteItemCommand({ RequestItems: { bench: Array.from({ length: 25 }, () => { const s = mk(); return { PutRequest: { Item: { pk: { S: 'session#' + s.idHash }, accessToken: { S: s.accessToken }, tokenType: { S: 'bearer' }, accessTokenExpiresAt: { N: String(s.accessTokenExpiresAt) }, refreshToken: { S: s.refreshToken }, scope: { S: 'api' }, createdAt: { N: String(now) }, expiresAt: { N: String(s.expiresAt) }, version: { N: '0' }, claims: { M: {} }, refreshShard: { S: 'shard#1' }, refreshAt: { N: String(s.accessTokenExpiresAt) } } } }; }) } })); }));
    console.log('batch conc', conc, ((n / (performance.now() - t)) * 1000).toFixed(0), '/s');
  }
} finally { await ddb.stop(); }
