import { App, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/config.js';
import { TABLE_SCHEMA } from '../../lambdas/shared/table-schema.js';
import { OAuthBackend, type OAuthBackendProps } from '../../lib/oauth-backend.js';
import { OAuthBackendStack } from '../../lib/oauth-backend-stack.js';

const ISSUER = 'https://issuer.example.com';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** A test app that skips bundling: these tests read the template, not the bundles (bundling.test.ts does). */
function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

function synth(props: Partial<OAuthBackendProps> = {}) {
  const stack = new Stack(newApp(), 'Test');
  const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'client-1', ...props });
  return { stack, backend, template: Template.fromStack(stack) };
}

type Synthesized = ReturnType<typeof synth>;
type FunctionName = 'loginFunction' | 'redirectFunction' | 'refreshFunction';

function logicalId(s: Synthesized, fn: FunctionName): string {
  return s.stack.getLogicalId(s.backend[fn].node.defaultChild as CfnFunction);
}

function resource(s: Synthesized, id: string): Resource {
  const found = s.template.toJSON().Resources[id] as Resource | undefined;
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/**
 * Every policy statement that applies to a function: its role (found through the function's
 * `Role: Fn::GetAtt`) may carry inline policies, and any AWS::IAM::Policy may attach to it by Ref.
 */
function statementsOf(s: Synthesized, fn: FunctionName): Statement[] {
  const role = (resource(s, logicalId(s, fn)).Properties.Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  const resources = Object.values(s.template.toJSON().Resources as Record<string, Resource>);
  const documents: { Statement: Statement[] }[] = [];
  for (const r of resources) {
    if (r.Type === 'AWS::IAM::Policy') {
      const roles = asArray(r.Properties.Roles as { Ref?: string }[] | undefined);
      if (roles.some((ref) => ref.Ref === role)) documents.push(r.Properties.PolicyDocument as never);
    }
  }
  const inline = asArray(resource(s, role).Properties.Policies as { PolicyDocument: never }[] | undefined);
  documents.push(...inline.map((p) => p.PolicyDocument));
  return documents.flatMap((d) => d.Statement);
}

function actionsOf(s: Synthesized, fn: FunctionName): Set<string> {
  return new Set(statementsOf(s, fn).flatMap((st) => asArray(st.Action)));
}

function environmentOf(s: Synthesized, fn: FunctionName): Record<string, unknown> {
  const env = resource(s, logicalId(s, fn)).Properties.Environment as { Variables: Record<string, unknown> };
  return env.Variables;
}

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

describe('OAuthBackend with defaults', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });

  it.each([
    ['GET /login', 'loginFunction'],
    ['GET /redirect', 'redirectFunction'],
  ] as const)('routes %s to its own function with payload format 2.0', (routeKey, fn) => {
    const routes = s.template.findResources('AWS::ApiGatewayV2::Route', {
      Properties: { RouteKey: routeKey },
    });
    const [route] = Object.values(routes) as Resource[];
    expect(Object.keys(routes)).toHaveLength(1);

    const target = route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const [prefix, ref] = target['Fn::Join'][1];
    expect(prefix).toBe('integrations/');
    const integration = resource(s, ref.Ref);
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(s, fn), 'Arn'] },
    });
  });

  it('has only the two routes', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('throttles the default stage', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('builds the table from TABLE_SCHEMA: on-demand, TTL, PITR, encrypted, the refresh index', () => {
    const { refreshIndex } = TABLE_SCHEMA;
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'refreshShard', AttributeType: 'S' },
          { AttributeName: 'refreshAt', AttributeType: 'N' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: refreshIndex.indexName,
            KeySchema: [
              { AttributeName: 'refreshShard', KeyType: 'HASH' },
              { AttributeName: 'refreshAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    });
  });

  it('creates a client secret that tells the user to put the client secret in it, retained', () => {
    s.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: { Description: Match.stringLikeRegexp('client secret') },
    });
  });

  it('invokes the refresh function every minute', () => {
    s.template.resourceCountIs('AWS::Events::Rule', 1);
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(s, 'refreshFunction'), 'Arn'] } })],
    });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(s, 'refreshFunction'), 'Arn'] },
    });
  });

  it.each([
    ['loginFunction', 10],
    ['redirectFunction', 10],
    ['refreshFunction', 60],
  ] as const)('runs %s on nodejs24.x, arm64, 256 MB, %i s, with its own log group', (fn, timeout) => {
    const props = resource(s, logicalId(s, fn)).Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: timeout,
      Handler: 'index.handler',
    });
    const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(resource(s, logGroupId)).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('has exactly three functions', () => {
    s.template.resourceCountIs('AWS::Lambda::Function', 3);
  });

  it('does not retry a failed refresh tick', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(s, 'refreshFunction') },
      MaximumRetryAttempts: 0,
    });
  });

  it('sets the redirect URI to the API endpoint + /redirect, and the login URL to + /login', () => {
    const apiId = s.stack.getLogicalId(s.backend.httpApi.node.defaultChild as never);
    const endpointPlus = (path: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, path]],
    });
    for (const fn of ['loginFunction', 'redirectFunction', 'refreshFunction'] as const) {
      expect(environmentOf(s, fn)[ENV.redirectUri]).toEqual(endpointPlus('/redirect'));
    }
    expect(s.stack.resolve(s.backend.redirectUri)).toEqual(endpointPlus('/redirect'));
    expect(s.stack.resolve(s.backend.loginUrl)).toEqual(endpointPlus('/login'));
  });

  it('gives every function the full configuration with the defaults', () => {
    const tableId = s.stack.getLogicalId(s.backend.table.node.defaultChild as never);
    const secretId = s.stack.getLogicalId(s.backend.clientSecret.node.defaultChild as never);
    for (const fn of ['loginFunction', 'redirectFunction', 'refreshFunction'] as const) {
      const env = environmentOf(s, fn);
      expect(env).toMatchObject({
        [ENV.issuer]: ISSUER,
        [ENV.clientId]: 'client-1',
        [ENV.clientSecretArn]: { Ref: secretId },
        [ENV.clientAuthMethod]: 'client_secret_basic',
        [ENV.scope]: 'openid',
        [ENV.tableName]: { Ref: tableId },
        [ENV.refreshBeforeExpirySeconds]: '300',
        [ENV.loginTimeoutSeconds]: '600',
        [ENV.sessionDurationSeconds]: '28800',
        [ENV.postLoginPath]: '/',
        [ENV.httpTimeoutMs]: '5000',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'oauth-backend',
      });
      expect(env).not.toHaveProperty(ENV.authorizationEndpoint);
      expect(env).not.toHaveProperty(ENV.tokenEndpoint);
      // The secret value itself never goes into the environment of a deployed function.
      expect(env).not.toHaveProperty(ENV.clientSecret);
    }
  });

  describe('least privilege', () => {
    it('lets login only put items: no other DynamoDB action, no secret', () => {
      const actions = [...actionsOf(s, 'loginFunction')];
      expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem']);
      expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    });

    it('lets redirect delete and put items and read the secret, but not query or scan', () => {
      const actions = actionsOf(s, 'redirectFunction');
      expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
      ]);
      expect(actions).toContain('secretsmanager:GetSecretValue');
      expect(actions).not.toContain('dynamodb:Query');
      expect(actions).not.toContain('dynamodb:Scan');
    });

    it('lets refresh query the index, update items and read the secret, but not delete', () => {
      const actions = actionsOf(s, 'refreshFunction');
      expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
      expect(actions).toContain('secretsmanager:GetSecretValue');
      expect(actions).not.toContain('dynamodb:DeleteItem');
    });

    it('scopes the refresh Query to the refresh index, not the table', () => {
      const tableId = s.stack.getLogicalId(s.backend.table.node.defaultChild as never);
      const query = statementsOf(s, 'refreshFunction').filter((st) =>
        asArray(st.Action).includes('dynamodb:Query'),
      );
      expect(query).toHaveLength(1);
      expect(query[0]?.Resource).toEqual({
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${TABLE_SCHEMA.refreshIndex.indexName}`],
        ],
      });
    });

    it.each(['loginFunction', 'redirectFunction', 'refreshFunction'] as const)(
      'grants %s no wildcard action and only Allow statements',
      (fn) => {
        for (const st of statementsOf(s, fn)) {
          expect(st.Effect).toBe('Allow');
          for (const action of asArray(st.Action)) expect(action).not.toContain('*');
        }
      },
    );
  });
});

describe('OAuthBackend options', () => {
  it('adds no schedule when refreshSchedule is zero, but keeps the refresh function', () => {
    const s = synth({ refreshSchedule: Duration.seconds(0) });
    s.template.resourceCountIs('AWS::Events::Rule', 0);
    s.template.resourceCountIs('AWS::Lambda::Function', 3);
    expect(s.backend.refreshRule).toBeUndefined();
  });

  it('uses the given refresh rate', () => {
    const s = synth({ refreshSchedule: Duration.minutes(5) });
    s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('passes explicit endpoints, and the issuer as the expected issuer', () => {
    const s = synth({
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
    });
    const env = environmentOf(s, 'redirectFunction');
    expect(env).toMatchObject({
      [ENV.authorizationEndpoint]: 'https://as.example.com/authorize',
      [ENV.tokenEndpoint]: 'https://as.example.com/token',
      [ENV.issuer]: ISSUER,
    });
  });

  it('accepts explicit endpoints without an issuer', () => {
    const s = synth({
      issuer: undefined,
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
    });
    expect(environmentOf(s, 'loginFunction')).not.toHaveProperty(ENV.issuer);
  });

  it('passes the remaining settings through', () => {
    const s = synth({
      clientAuthMethod: 'client_secret_post',
      scopes: ['openid', 'profile', 'offline_access'],
      refreshBeforeExpiry: Duration.minutes(2),
      loginTimeout: Duration.minutes(5),
      sessionDuration: Duration.days(1),
      postLoginPath: '/app',
      httpTimeout: Duration.seconds(3),
      throttle: { rateLimit: 5, burstLimit: 10 },
    });
    expect(environmentOf(s, 'loginFunction')).toMatchObject({
      [ENV.clientAuthMethod]: 'client_secret_post',
      [ENV.scope]: 'openid profile offline_access',
      [ENV.refreshBeforeExpirySeconds]: '120',
      [ENV.loginTimeoutSeconds]: '300',
      [ENV.sessionDurationSeconds]: '86400',
      [ENV.postLoginPath]: '/app',
      [ENV.httpTimeoutMs]: '3000',
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });

  it('uses an existing secret instead of creating one', () => {
    const stack = new Stack(newApp(), 'Test');
    const secret = Secret.fromSecretCompleteArn(
      stack,
      'Existing',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:oauth-client-AbCdEf',
    );
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', clientSecret: secret });
    const template = Template.fromStack(stack);

    expect(backend.clientSecret).toBe(secret);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.clientSecretArn]: secret.secretArn }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: secret.secretArn,
          }),
        ]),
      },
    });
  });

  it('applies the removal policy to the table, the created secret and the log groups', () => {
    const s = synth({ removalPolicy: RemovalPolicy.DESTROY });
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      const resources = Object.values(s.template.findResources(type)) as { DeletionPolicy?: string }[];
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r.DeletionPolicy).toBe('Delete');
    }
  });
});

describe('OAuthBackend prop validation', () => {
  it.each<[string, Partial<OAuthBackendProps>, RegExp]>([
    ['neither issuer nor endpoints', { issuer: undefined }, /either issuer .* or authorizationEndpoint/],
    [
      'an authorization endpoint without a token endpoint',
      { issuer: undefined, authorizationEndpoint: 'https://as.example.com/authorize' },
      /must be given together/,
    ],
    ['a token endpoint without an authorization endpoint', { tokenEndpoint: 'https://as/token' }, /together/],
    ['an issuer that is not a URL', { issuer: 'issuer.example.com' }, /issuer is not a URL/],
    ['a plain http issuer', { issuer: 'http://issuer.example.com' }, /issuer must be an https URL/],
    ['an empty client id', { clientId: ' ' }, /clientId must not be empty/],
    ['an unknown client auth method', { clientAuthMethod: 'private_key_jwt' as never }, /clientAuthMethod/],
    ['no scopes', { scopes: [] }, /scopes must not be empty/],
    ['a scope with a space', { scopes: ['openid profile'] }, /not a valid scope token/],
    ['httpTimeout equal to the function timeout', { httpTimeout: Duration.seconds(10) }, /less than/],
    ['httpTimeout above the function timeout', { httpTimeout: Duration.seconds(30) }, /less than/],
    [
      'a refresh schedule under a minute',
      { refreshSchedule: Duration.seconds(30) },
      /whole number of minutes/,
    ],
    ['a refresh schedule of fractional minutes', { refreshSchedule: Duration.seconds(90) }, /minutes/],
    ['a login timeout too short', { loginTimeout: Duration.seconds(5) }, /loginTimeout/],
    ['a session duration over 400 days', { sessionDuration: Duration.days(401) }, /sessionDuration/],
    ['a post-login path to another origin', { postLoginPath: '//evil.example' }, /postLoginPath/],
    ['a relative post-login path', { postLoginPath: 'app' }, /postLoginPath/],
  ])('throws for %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('names every problem in one error', () => {
    expect(() => synth({ issuer: undefined, clientId: '', httpTimeout: Duration.seconds(10) })).toThrow(
      /issuer.*clientId.*httpTimeout/,
    );
  });

  it('accepts an httpTimeout just under the function timeout', () => {
    expect(() => synth({ httpTimeout: Duration.millis(9999) })).not.toThrow();
  });

  it('skips validation of values only known at deploy time', () => {
    const stack = new Stack(newApp(), 'Test');
    const issuer = new CfnParameter(stack, 'Issuer').valueAsString;
    const clientId = new CfnParameter(stack, 'ClientId').valueAsString;
    new OAuthBackend(stack, 'Auth', { issuer, clientId });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.issuer]: { Ref: 'Issuer' } }) },
    });
  });
});

describe('OAuthBackendStack', () => {
  it('outputs what is needed after deployment', () => {
    const stack = new OAuthBackendStack(newApp(), 'Stack', { issuer: ISSUER, clientId: 'c' });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(['ClientSecretArn', 'LoginUrl', 'RedirectUri', 'TableName']);
    expect(outputs.RedirectUri?.Value).toEqual(stack.resolve(stack.backend.redirectUri));
    expect(outputs.LoginUrl?.Value).toEqual(stack.resolve(stack.backend.loginUrl));
  });
});
