/**
 * The shipped bundles use the environment credential provider alone (lib/bundling.ts
 * envCredentialsPlugin): this shows they still sign, and that middy runs (it answers) with the
 * no-streaming stand-in (noResponseStreamingPlugin). The login bundle from assets/ runs in a
 * fresh Node process with Lambda-style credentials in its environment and a local HTTP endpoint
 * as DynamoDB; the endpoint recomputes the SigV4 signature of what it received (the SDK's own
 * signer, the same credentials, the request's own date) and compares. The default chain's other
 * providers are not in any bundle.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SCRIPT } from '../../lambdas/shared/definitions/bundle-files.js';
import { FUNCTION_ENTRIES } from '../../lambdas/shared/definitions/routes.js';
import { PROJECT_ROOT } from '../../lib/bundling.js';
import { lambdaNodeFlags, node24 } from '../../scripts/node24.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDSIGNINGTEST',
  secretAccessKey: 'signing-test-secret-key',
  sessionToken: 'signing-test-session-token',
};
const OAUTH4WEBAPI_VERSION = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', 'oauth4webapi', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
/** The status the script printed (stdout also carries the metrics' EMF lines). */
const statusOf = (stdout: string) => /\nSTATUS (\d+)\n/.exec(stdout)?.[1];
/** What Lambda imports (the loader) and the bundle it compiles. */
const loader = (entry: string) => join(PROJECT_ROOT, 'assets', entry, 'index.mjs');
const bundle = (entry: string) => join(PROJECT_ROOT, 'assets', entry, BUNDLE_SCRIPT);
/** The code cache V8 used, as the loader reports it. */
const codeCacheOf = (stdout: string) => /\nCODE_CACHE (\w+)\n/.exec(stdout)?.[1];

/**
 * This machine's Node (20: no code cache for its V8, the bundle is compiled) and the Lambda
 * runtime's (24, with the runtime's flags: the bytecode comes from the cache), so that the cached
 * code is shown to do the same work as the compiled one.
 */
const lambdaNode = node24();
const RUNTIMES = [
  { name: `this Node (${process.version}), compiled`, node: [process.execPath], flags: [], cache: 'none' },
  {
    name: `Node 24 (${lambdaNode.version ?? lambdaNode.problem}) with Lambda's flags, from the code cache`,
    node: lambdaNode.command ?? ['node-24-missing'],
    flags: lambdaNodeFlags(),
    cache: 'accepted',
  },
] as const;

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('the shipped bundles with the environment credential provider', () => {
  let received: Received[];
  let stop: () => Promise<void>;
  let endpoint: string;

  beforeAll(async () => {
    received = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        // What DynamoDB answers a successful PutItem.
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stop = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  });
  afterAll(() => stop());

  /** Imports the login bundle in a fresh process and answers one GET /login through it. */
  function runLogin(
    env: Record<string, string>,
    runtime: (typeof RUNTIMES)[number] = RUNTIMES[0],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = `
      const { handler, codeCache } = await import(${JSON.stringify(pathToFileURL(loader('login')).href)});
      process.stdout.write('\\nCODE_CACHE ' + codeCache + '\\n');
      const result = await handler({
        version: '2.0', routeKey: 'GET /login', rawPath: '/login', rawQueryString: '', headers: {},
        requestContext: { http: { method: 'GET', path: '/login' }, requestId: 'r' },
        isBase64Encoded: false,
      }, { awsRequestId: 'r', functionName: 'login', getRemainingTimeInMillis: () => 10000 });
      process.stdout.write('\\nSTATUS ' + result.statusCode + '\\n');`;
    return new Promise((resolve) => {
      const [program, ...prefix] = runtime.node as [string, ...string[]];
      const child = spawn(program, [...prefix, ...runtime.flags, '--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_DYNAMODB: endpoint,
          OAUTH_AUTHORIZATION_ENDPOINT: 'https://as.example/authorize',
          OAUTH_TOKEN_ENDPOINT: 'https://as.example/token',
          OAUTH_CLIENT_ID: 'c',
          OAUTH_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf',
          OAUTH_REDIRECT_URI: 'https://app.example/redirect',
          OAUTH_SCOPE: 'api',
          TABLE_NAME: 'sessions',
          TOKEN_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it.each(RUNTIMES)(
    'signs a DynamoDB request with SigV4 from the credentials in the environment: $name',
    async (runtime) => {
      received.length = 0;
      const run = await runLogin(
        {
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
        },
        runtime,
      );
      expect(codeCacheOf(run.stdout), run.stderr).toBe(runtime.cache);
      expect(statusOf(run.stdout), run.stderr).toBe('302');
      const [put, ...more] = received;
      expect(more).toEqual([]);
      if (!put) throw new Error('no request reached the endpoint');
      expect(put.headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
      expect(put.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
      const authorization = String(put.headers.authorization);
      const amzDate = String(put.headers['x-amz-date']);
      expect(authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, ` +
            'SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$',
        ),
      );

      // Recompute the signature over exactly what was received, with the SDK's own signer.
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      const { hostname, port } = new URL(endpoint);
      const request = new HttpRequest({
        method: put.method,
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: put.path,
        headers: Object.fromEntries(signedHeaders.map((name) => [name, String(put.headers[name])])),
        body: put.body,
      });
      const signer = new SignatureV4({
        credentials: CREDENTIALS,
        region: 'us-east-1',
        service: 'dynamodb',
        sha256: Sha256,
      });
      const date = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const expected = await signer.sign(request, { signingDate: date });
      expect(authorization).toBe((expected as HttpRequest).headers.authorization);
    },
  );

  it.each(RUNTIMES)(
    "sends oauth4webapi's own User-Agent to the authorization server, as it does unbundled on Node (the build defines navigator away): $name",
    async (runtime) => {
      received.length = 0;
      // The endpoint stands in for the issuer: login discovers the AS first, through oauth4webapi.
      const run = await runLogin(
        {
          OAUTH_ISSUER: endpoint,
          OAUTH_AUTHORIZATION_ENDPOINT: '',
          OAUTH_TOKEN_ENDPOINT: '',
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        },
        runtime,
      );
      expect(codeCacheOf(run.stdout), run.stderr).toBe(runtime.cache);
      const discovery = received.find((r) => r.path.startsWith('/.well-known/'));
      if (!discovery) throw new Error(`no discovery request reached the endpoint: ${run.stderr}`);
      // What oauth4webapi sends where navigator.userAgent is not a browser's (Node's own code path).
      expect(discovery.headers['user-agent']).toBe(`oauth4webapi/v${OAUTH4WEBAPI_VERSION}`);
    },
  );

  it('fails closed without credentials in the environment: no unsigned request goes out', async () => {
    received.length = 0;
    const run = await runLogin({});
    expect(statusOf(run.stdout)).toBe('500');
    expect(received).toEqual([]);
  });

  it.each([...FUNCTION_ENTRIES])(
    '%s carries no provider of the default chain but the environment one',
    (entry) => {
      const code = readFileSync(bundle(entry), 'utf8');
      // Markers of the chain's other providers and of the STS/SSO clients they bring (each of them is
      // in a bundle built without the plugin).
      for (const marker of [
        'fromSSO',
        'fromIni',
        'fromProcess',
        'fromTokenFile',
        'AssumeRoleWithWebIdentity',
        'sso-oidc',
      ]) {
        expect(code.includes(marker), `${entry} contains ${marker}`).toBe(false);
      }
      expect(code).toContain('AWS_SECRET_ACCESS_KEY');
    },
  );
});
