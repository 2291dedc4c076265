/**
 * `sam local` cannot run here (no Docker), so this checks what it depends on:
 * - the template `npx cdk synth -c samLocal=true` writes keeps what SAM reads: each function's
 *   asset path metadata pointing at its bundle, and each route resolvable to its function;
 * - events/env.json gets its values through SAM's rules (SAM sets only variables the template
 *   declares, and turns every unresolved reference into "");
 * - each sample event, given to its synthesized bundle with that environment, gets the expected
 *   response (DynamoDB Local and the dev authorization server stand in for the ones you run);
 * - the README's sam local section names the files, logical ids and table schema that are really there.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, DEFAULT_STACK_ID, PLACEHOLDER_CLIENT_ID } from '../../bin/build-app.js';
import { SAM_LOCAL_VARIABLES } from '../../bin/sam-local.js';
import { EXEC_WRAPPER } from '../../lambdas/shared/definitions/bundle-files.js';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import { ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { TABLE_SCHEMA } from '../../lambdas/shared/definitions/table-schema.js';
import { createTable } from '../../lambdas/shared/store/dynamo-table.js';
import { BUNDLE_FILE } from '../../lib/assets.js';
import { EXEC_WRAPPER_PATH, EXEC_WRAPPER_VARIABLE } from '../../lib/functions.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '../../local/dev-authorization-server.js';

const ROOT = new URL('../../', import.meta.url);
const readText = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const readJson = <T>(path: string) => JSON.parse(readText(path)) as T;

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
};
type Template = { Resources: Record<string, Resource> };
type EnvFile = { Parameters?: Record<string, string> } & Record<string, Record<string, string> | undefined>;

const envFile = readJson<EnvFile>('events/env.json');

/** Synthesizes the app as `npx cdk synth [-c samLocal=true]` does (the CLI sets the metadata context). */
function synthesize(samLocal: boolean, bundle: boolean) {
  const app = new App({
    context: {
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:enable-path-metadata': true,
      ...(samLocal ? { samLocal: 'true' } : {}),
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = buildApp(app);
  const assembly = app.synth();
  const file = join(assembly.directory, `${stack.artifactId}.template.json`);
  return {
    stack,
    directory: assembly.directory,
    file,
    template: JSON.parse(readFileSync(file, 'utf8')) as Template,
  };
}

let bundled: ReturnType<typeof synthesize> | undefined;
/** The bundled sam-local synth, shared by both groups of tests (bundling takes a few seconds). */
function samLocalSynth() {
  bundled ??= synthesize(true, true);
  return bundled;
}

function functionsOf(template: Template): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
}

function variablesOf(fn: Resource): Record<string, unknown> {
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/**
 * The environment `sam local` gives a function (samcli/local/lambdafn/env_vars.py): its AWS_*
 * variables, then every variable the template declares, valued from the env file (the function's
 * own entry over `Parameters`), else from the template, where an unresolved reference becomes "".
 * A variable the template does not declare is never set, whatever the env file says.
 */
function samEnvironment(logicalId: string, fn: Resource): Record<string, string> {
  const overrides = { ...envFile.Parameters, ...envFile[logicalId] };
  const result: Record<string, string> = {
    AWS_SAM_LOCAL: 'true',
    AWS_LAMBDA_FUNCTION_NAME: logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.Properties.MemorySize),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.Properties.Timeout),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'defaultkey',
    AWS_SECRET_ACCESS_KEY: 'defaultsecret',
  };
  for (const [name, value] of Object.entries(variablesOf(fn))) {
    const chosen = name in overrides ? overrides[name] : value;
    result[name] = typeof chosen === 'string' ? chosen : typeof chosen === 'number' ? String(chosen) : '';
  }
  return result;
}

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

describe('the template for sam local', () => {
  let synth: ReturnType<typeof synthesize>;
  beforeAll(() => {
    synth = samLocalSynth();
  }, 120_000);

  it(`is cdk.out/${DEFAULT_STACK_ID}.template.json`, () => {
    expect(synth.file.endsWith(`/${DEFAULT_STACK_ID}.template.json`)).toBe(true);
  });

  it('names each function’s bundle directory in its asset metadata, as SAM reads it', () => {
    const functions = functionsOf(synth.template);
    expect(functions).toHaveLength(ROUTE_LIST.length + 1);
    for (const [id, fn] of functions) {
      expect(fn.Metadata?.['aws:asset:property'], id).toBe('Code');
      // A finished bundle: `sam build` skips it (as it did when NodejsFunction bundled at synth).
      expect(fn.Metadata?.['aws:asset:is-bundled'], id).toBe(true);
      expect(fn.Metadata?.['aws:cdk:path'], id).toMatch(/Function\/Resource$/);
      const assetPath = fn.Metadata?.['aws:asset:path'];
      expect(typeof assetPath, id).toBe('string');
      expect(existsSync(join(synth.directory, String(assetPath), 'index.mjs')), id).toBe(true);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
    }
  });

  it('resolves every route, as SAM does, to a function of the template with payload format 2.0', () => {
    const resources = synth.template.Resources;
    const routeKeys: string[] = [];
    for (const [id, route] of Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::ApiGatewayV2::Route',
    )) {
      // SAM splits the route key on whitespace into exactly a method and a path.
      const routeKey = String(route.Properties.RouteKey);
      expect(routeKey.split(/\s+/), id).toHaveLength(2);
      routeKeys.push(routeKey);
      // Target "integrations/<ref>" -> AWS::ApiGatewayV2::Integration -> IntegrationUri -> function.
      const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const [prefix, ref] = target['Fn::Join'][1];
      expect(prefix).toBe('integrations/');
      const integration = resources[ref.Ref];
      expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
      expect(integration?.Properties.PayloadFormatVersion).toBe('2.0');
      const uri = integration?.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] };
      expect(uri['Fn::GetAtt'][1]).toBe('Arn');
      expect(resources[uri['Fn::GetAtt'][0]]?.Type).toBe('AWS::Lambda::Function');
    }
    expect(routeKeys.sort()).toEqual(ROUTE_LIST.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('declares every variable events/env.json sets, on every function (SAM ignores the others)', () => {
    const names = Object.keys(envFile.Parameters ?? {});
    expect(names.length).toBeGreaterThan(0);
    for (const [id, fn] of functionsOf(synth.template)) {
      for (const name of names) expect(variablesOf(fn), `${id} ${name}`).toHaveProperty(name);
    }
    // Only names the handlers or the SDK read: a typo would be silently useless.
    const known = new Set<string>([...Object.values(ENV), ...SAM_LOCAL_VARIABLES]);
    for (const name of names) expect(known.has(name), name).toBe(true);
  });

  it('gets a value from events/env.json for every variable that is a reference (SAM would make it "")', () => {
    for (const [id, fn] of functionsOf(synth.template)) {
      for (const [name, value] of Object.entries(variablesOf(fn))) {
        if (typeof value !== 'string') expect(envFile.Parameters, `${id} ${name}`).toHaveProperty(name);
      }
    }
  });

  it('sets the client secret itself and no secret ARN, the local token key and no KMS key', () => {
    expect(envFile.Parameters).toMatchObject({
      [ENV.clientSecretArn]: '',
      [ENV.tokenKmsKeyId]: '',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://host.docker.internal:8000',
    });
    expect(envFile.Parameters?.[ENV.clientSecret]).not.toBe('');
    expect(Buffer.from(envFile.Parameters?.[ENV.tokenEncryptionKey] ?? '', 'base64')).toHaveLength(32);
  });

  it('is the only template that declares the local-only variables: a deployment never sets them', () => {
    const deployed = synthesize(false, false).template;
    for (const [id, fn] of functionsOf(deployed)) {
      for (const name of SAM_LOCAL_VARIABLES)
        expect(variablesOf(fn), `${id} ${name}`).not.toHaveProperty(name);
    }
  });

  it("is what the README's sam local section walks through", () => {
    const readme = readText('README.md');
    const doc = readme.slice(
      readme.indexOf('### Local testing with `sam local`'),
      readme.indexOf('## Authorization servers'),
    );
    expect(doc.length).toBeGreaterThan(1000);
    expect(doc).toContain('npx cdk synth -c samLocal=true');
    expect(doc).toContain(`cdk.out/${DEFAULT_STACK_ID}.template.json`);
    expect(doc).toContain('--env-vars events/env.json');
    for (const event of ['login', 'redirect', 'scheduled', 'backchannel-logout'])
      expect(doc).toContain(`events/${event}.json`);
    // The logical ids the doc tells you to invoke are the template's.
    const ids = functionsOf(synth.template).map(([id]) => id);
    const refreshId = ids.find((id) => id.startsWith('AuthRefreshFunction'));
    expect(refreshId).toBeDefined();
    expect(doc).toContain(`sam local invoke ${refreshId} `);
    for (const id of ids) expect(doc).toContain(id);
    // The create-table command builds the table of TABLE_SCHEMA.
    const { partitionKey, refreshIndex, subjectIndex, timeToLiveAttribute } = TABLE_SCHEMA;
    for (const name of [
      partitionKey.name,
      refreshIndex.indexName,
      refreshIndex.partitionKey.name,
      refreshIndex.sortKey.name,
      subjectIndex.indexName,
      `AttributeName=${subjectIndex.partitionKey.name},AttributeType=${subjectIndex.partitionKey.type}`,
      ...subjectIndex.projectedAttributes,
      timeToLiveAttribute,
      envFile.Parameters?.[ENV.tableName] ?? '?',
    ]) {
      expect(doc).toContain(name);
    }
  });
});

describe('the sample events, given to their bundles with the sam local environment', () => {
  let synth: ReturnType<typeof synthesize>;
  let as: DevAuthorizationServer;
  let tableName: string;
  beforeAll(async () => {
    synth = samLocalSynth();
    const p = envFile.Parameters ?? {};
    // The dev authorization server plays yours: the client id from the template, the secret and
    // redirect URI from events/env.json.
    as = await startDevAuthorizationServer({
      clients: [
        {
          clientId: PLACEHOLDER_CLIENT_ID,
          clientSecret: p[ENV.clientSecret] ?? '',
          redirectUris: [p[ENV.redirectUri] ?? ''],
          authMethod: 'client_secret_basic',
        },
      ],
    });
    tableName = `sam-${Date.now()}`;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
    const dynamo = new DynamoDBClient({});
    await createTable(dynamo, tableName);
    dynamo.destroy();
  }, 120_000);

  afterAll(async () => {
    await as?.stop();
  });

  /** Runs one bundle in its own Node process, like a fresh Lambda container, and returns its result. */
  async function invoke(functionPrefix: string, eventFile: string): Promise<Record<string, unknown>> {
    const found = functionsOf(synth.template).find(([id]) => id.startsWith(functionPrefix));
    if (!found) throw new Error(`no function ${functionPrefix}`);
    const [logicalId, fn] = found;
    const env: Record<string, string | undefined> = {
      ...samEnvironment(logicalId, fn),
      // Stand-ins for what you run: your issuer (`-c issuer=...`) and DynamoDB Local on the host.
      [ENV.issuer]: as.issuer,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      [ENV.tableName]: tableName,
      PATH: process.env.PATH,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      SAM_TEST_BUNDLE: join(synth.directory, String(fn.Metadata?.['aws:asset:path']), BUNDLE_FILE),
      SAM_TEST_EVENT: fileURLToPath(new URL(eventFile, ROOT)),
    };
    const script = `
      import { readFileSync } from 'node:fs';
      import { pathToFileURL } from 'node:url';
      const { handler } = await import(pathToFileURL(process.env.SAM_TEST_BUNDLE).href);
      const event = JSON.parse(readFileSync(process.env.SAM_TEST_EVENT, 'utf8'));
      const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
      const deadline = Date.now() + 30000;
      const context = {
        functionName: name, functionVersion: '$LATEST', memoryLimitInMB: '256',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + name,
        awsRequestId: 'sam-local-test', logGroupName: 'aws/lambda/' + name, logStreamName: '$LATEST',
        callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),
        done() {}, fail() {}, succeed() {},
      };
      const result = await handler(event, context);
      process.stdout.write('\\n@@RESULT@@' + JSON.stringify(result) + '\\n', () => process.exit(0));
    `;
    // Started as Lambda's bootstrap (and sam local's image) starts it: through the function's exec
    // wrapper (AWS_LAMBDA_EXEC_WRAPPER, under /var/task there; here, the staged asset folder), with
    // the runtime's --expose-gc, which the wrapper drops.
    const staged = join(synth.directory, String(fn.Metadata?.['aws:asset:path']));
    expect(env[EXEC_WRAPPER_VARIABLE]).toBe(EXEC_WRAPPER_PATH);
    const child = spawn(
      join(staged, EXEC_WRAPPER),
      [
        process.execPath,
        '--expose-gc',
        '--input-type=module',
        '-e',
        `if (globalThis.gc) throw new Error('gc'); ${script}`,
      ],
      { env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const marker = stdout.lastIndexOf('@@RESULT@@');
    if (code !== 0 || marker === -1) throw new Error(`${logicalId} exited ${code}: ${stderr.slice(-2000)}`);
    return JSON.parse(stdout.slice(marker + '@@RESULT@@'.length)) as Record<string, unknown>;
  }

  it('login.json: 302 to the authorization server with PKCE, and a browser-binding cookie', async () => {
    const result = await invoke('AuthLoginFunction', 'events/login.json');
    expect(result.statusCode).toBe(302);
    const location = new URL(String((result.headers as Record<string, string>).location));
    expect(location.href.startsWith(as.issuer)).toBe(true);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: PLACEHOLDER_CLIENT_ID,
      redirect_uri: envFile.Parameters?.[ENV.redirectUri],
      code_challenge_method: 'S256',
    });
    expect(result.cookies).toEqual([expect.stringMatching(/^__Host-bff-login-[^=]+=[^;]+; Path=\/;/)]);
  });

  it('redirect.json: 400, because its state was never started in this browser (no binding cookie)', async () => {
    const result = await invoke('AuthRedirectFunction', 'events/redirect.json');
    expect(result.statusCode).toBe(400);
    expect(JSON.stringify(result.cookies ?? [])).not.toContain('session');
    expect(as.stats.requests).toBe(0);
  });

  it('backchannel-logout.json: 400 {"error":"invalid_request"} for a logout token that is not a JWT, base64 body as API Gateway sends it', async () => {
    const result = await invoke('AuthBackchannelLogoutFunction', 'events/backchannel-logout.json');
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body))).toEqual({ error: 'invalid_request' });
    expect((result.headers as Record<string, string>)['cache-control']).toBe('no-store');
  });

  it('scheduled.json: a refresh summary (nothing due in a new table)', async () => {
    const result = await invoke('AuthRefreshFunction', 'events/scheduled.json');
    expect(result).toMatchObject({ due: 0, refreshed: 0, ended: 0, failed: 0 });
  });
});
