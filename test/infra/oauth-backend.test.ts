import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, type ITable, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { declareSamLocalVariables, SAM_LOCAL_VARIABLES } from '../../bin/sam-local.js';
import { encryptionContext } from '../../lambdas/shared/definitions/encryption-context.js';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import { METRIC, METRICS_NAMESPACE } from '../../lambdas/shared/definitions/metric-names.js';
import { ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { TABLE_SCHEMA } from '../../lambdas/shared/definitions/table-schema.js';
import { ACCESS_LOG_FORMAT } from '../../lib/api.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import { OAuthBackendStack } from '../../lib/oauth-backend-stack.js';
import type { OAuthBackendProps } from '../../lib/props.js';
import { checkTableSchema } from '../../lib/table.js';
import { asArray, newApp, type Resource, Synthesized } from './support.js';

const ISSUER = 'https://issuer.example.com';

function synth(props: Partial<OAuthBackendProps> = {}) {
  const stack = new Stack(newApp(), 'Test');
  const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'client-1', ...props });
  return { backend, s: new Synthesized(stack) };
}

/** The functions by construct id. */
function functionsOf(backend: OAuthBackend): Record<string, IFunction> {
  return {
    Login: backend.loginFunction,
    Redirect: backend.redirectFunction,
    Session: backend.sessionFunction,
    Logout: backend.logoutFunction,
    BackchannelLogout: backend.backchannelLogoutFunction,
    Refresh: backend.refreshFunction,
  };
}

const FUNCTION_IDS = [...ROUTE_LIST.map((r) => r.id), 'Refresh'];

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

describe('OAuthBackend with defaults', () => {
  let backend: OAuthBackend;
  let s: Synthesized;
  beforeAll(() => {
    ({ backend, s } = synth());
  });
  const fn = (id: string): IFunction => {
    const found = functionsOf(backend)[id];
    if (!found) throw new Error(`no function ${id}`);
    return found;
  };

  it.each(ROUTE_LIST.map((r) => [`${r.method} ${r.path}`, r.id]))(
    'routes %s to its own function with payload format 2.0 and no authorizer',
    (routeKey, id) => {
      const routes = s.routes().filter((r) => r.routeKey === routeKey);
      expect(routes).toHaveLength(1);
      expect(routes[0]?.functionId).toBe(s.functionId(fn(id)));
      expect(routes[0]?.authorizationType).toBe('NONE');
      expect(routes[0]?.apiRef).toEqual({
        Ref: s.stack.getLogicalId(backend.httpApi.node.defaultChild as never),
      });
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [s.functionId(fn(id)), 'Arn'] },
      });
    },
  );

  it('has exactly the routes of ROUTES and one function per route plus refresh', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTE_LIST.length);
    s.template.resourceCountIs('AWS::Lambda::Function', ROUTE_LIST.length + 1);
    expect(backend.functions.map((f) => s.functionId(f)).sort()).toEqual(
      FUNCTION_IDS.map((id) => s.functionId(fn(id))).sort(),
    );
  });

  it('throttles the default stage and writes JSON access logs to a log group with retention', () => {
    const [[, stage]] = s.ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { Format: ACCESS_LOG_FORMAT },
    });
    const destination = (stage.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string] } })
      .DestinationArn['Fn::GetAtt'][0];
    expect(s.resource(destination)).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    expect(destination).toBe(s.stack.getLogicalId(backend.accessLogGroup?.node.defaultChild as never));
  });

  it('logs the request id, ip, route, status, length and integration error, never the path or query', () => {
    const format = JSON.parse(ACCESS_LOG_FORMAT) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLength: '$context.responseLength',
      integrationError: '$context.integrationErrorMessage',
    });
    // `code` and `state` arrive in the query string of /redirect; nothing here may carry it.
    for (const variable of Object.values(format)) {
      expect(variable).not.toMatch(/path|query|uri|url/i);
    }
  });

  it('builds the table from TABLE_SCHEMA: on-demand, TTL, PITR, encrypted, the refresh and subject indexes', () => {
    const { refreshIndex, subjectIndex } = TABLE_SCHEMA;
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: refreshIndex.indexName,
            KeySchema: [
              { AttributeName: 'refreshShard', KeyType: 'HASH' },
              { AttributeName: 'refreshAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: subjectIndex.indexName,
            KeySchema: [{ AttributeName: 'sub', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['sid'] },
          },
        ],
      },
    });
  });

  it('creates a retained client secret that tells the user to put the client secret in it', () => {
    s.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: { Description: Match.stringLikeRegexp('client secret') },
    });
  });

  it('creates a retained token key with rotation, and gives every function its ARN', () => {
    const keyId = s.stack.getLogicalId(backend.kmsKey.node.defaultChild as never);
    expect(s.resource(keyId)).toMatchObject({
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    for (const f of backend.functions) {
      expect(s.environmentOf(f)[ENV.tokenKmsKeyId]).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(s.environmentOf(f)).not.toHaveProperty(ENV.tokenEncryptionKey);
    }
  });

  it('invokes the refresh function every minute and does not retry a failed tick', () => {
    const refreshId = s.functionId(backend.refreshFunction);
    s.template.resourceCountIs('AWS::Events::Rule', 1);
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [refreshId, 'Arn'] } })],
    });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [refreshId, 'Arn'] },
    });
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: refreshId },
      MaximumRetryAttempts: 0,
    });
  });

  it.each(FUNCTION_IDS)(
    'runs %s on nodejs24.x, arm64, 256 MB (refresh 1 GB), with its own log group, untraced',
    (id) => {
      const props = s.resource(s.functionId(fn(id))).Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: id === 'Refresh' ? 1024 : 256,
        Timeout: id === 'Refresh' ? 60 : 10,
        Handler: 'index.handler',
      });
      expect(props).not.toHaveProperty('TracingConfig');
      const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(s.resource(logGroupId)).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    },
  );

  it('gives every function the handler configuration', () => {
    const apiId = s.stack.getLogicalId(backend.httpApi.node.defaultChild as never);
    for (const f of backend.functions) {
      const env = s.environmentOf(f);
      expect(env).toMatchObject({
        [ENV.issuer]: ISSUER,
        [ENV.clientId]: 'client-1',
        [ENV.clientAuthMethod]: 'client_secret_basic',
        [ENV.scope]: 'openid',
        [ENV.redirectUri]: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/redirect']] },
        [ENV.tableName]: { Ref: s.stack.getLogicalId(backend.table.node.defaultChild as never) },
        [ENV.clientSecretArn]: { Ref: s.stack.getLogicalId(backend.clientSecret.node.defaultChild as never) },
        [ENV.refreshBeforeExpirySeconds]: '300',
        [ENV.loginTimeoutSeconds]: '600',
        [ENV.sessionDurationSeconds]: '28800',
        [ENV.postLoginPath]: '/',
        [ENV.postLogoutPath]: '/',
        [ENV.cookiePrefix]: 'bff-',
        [ENV.logoutIdTokenHint]: 'false',
        [ENV.httpTimeoutMs]: '5000',
        POWERTOOLS_SERVICE_NAME: 'Test/Auth',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_DEV: 'false',
      });
      expect(env).not.toHaveProperty(ENV.authorizationEndpoint);
      expect(env).not.toHaveProperty(ENV.tokenEndpoint);
      expect(env).not.toHaveProperty(ENV.allowedOrigins);
      // The secret value itself never goes into the environment of a deployed function, nor do the
      // variables that only `sam local` sets.
      for (const name of SAM_LOCAL_VARIABLES) expect(env).not.toHaveProperty(name);
    }
  });

  describe('least privilege', () => {
    // Stated here, not derived from ACCESS, so that a change there has to be made twice.
    const expected: Record<string, { dynamodb: string[]; secret: boolean; kms: string[] }> = {
      Login: { dynamodb: ['dynamodb:PutItem'], secret: false, kms: [] },
      Redirect: {
        dynamodb: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        secret: true,
        kms: ['kms:GenerateDataKey'],
      },
      Session: { dynamodb: ['dynamodb:GetItem'], secret: false, kms: [] },
      Logout: { dynamodb: ['dynamodb:DeleteItem'], secret: true, kms: ['kms:Decrypt'] },
      BackchannelLogout: {
        dynamodb: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        secret: false,
        kms: [],
      },
      Refresh: {
        dynamodb: ['dynamodb:PartiQLUpdate', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        secret: true,
        kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
      },
    };

    it.each(FUNCTION_IDS)('gives %s exactly its DynamoDB, Secrets Manager and KMS actions', (id) => {
      const want = expected[id];
      if (!want) throw new Error(`no expectation for ${id}: state the permissions of the new function here`);
      expect(s.actionsOf(fn(id), 'dynamodb:')).toEqual(want.dynamodb);
      expect(s.actionsOf(fn(id), 'secretsmanager:')).toEqual(
        want.secret ? ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] : [],
      );
      expect(s.actionsOf(fn(id), 'kms:')).toEqual(want.kms);
      expect(s.actionsOf(fn(id), 'logs:')).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(s.actionsOf(fn(id)).filter((a) => !/^(dynamodb|secretsmanager|kms|logs):/.test(a))).toEqual([]);
    });

    it('never lets anything Scan; refresh and back-channel logout Query, each only its own index', () => {
      const tableId = s.stack.getLogicalId(backend.table.node.defaultChild as never);
      for (const f of backend.functions) expect(s.actionsOf(f)).not.toContain('dynamodb:Scan');
      const queriers: Record<string, string> = {
        Refresh: TABLE_SCHEMA.refreshIndex.indexName,
        BackchannelLogout: TABLE_SCHEMA.subjectIndex.indexName,
      };
      for (const id of FUNCTION_IDS.filter((i) => !(i in queriers))) {
        expect(s.actionsOf(fn(id))).not.toContain('dynamodb:Query');
      }
      for (const [id, indexName] of Object.entries(queriers)) {
        const query = s.statementsOf(fn(id)).filter((st) => asArray(st.Action).includes('dynamodb:Query'));
        expect(query, id).toHaveLength(1);
        expect(query[0]?.Resource, id).toEqual({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${indexName}`]],
        });
      }
    });

    // Which items each function's table actions may touch, by the partition key's prefix
    // (dynamodb:LeadingKeys); null: no condition. Stated here, not derived from ACCESS.
    const byPrefix: Record<string, Record<string, string[] | null>> = {
      Login: { 'dynamodb:PutItem': ['tx#*'] },
      Redirect: { 'dynamodb:DeleteItem': ['tx#*', 'session#*'], 'dynamodb:PutItem': ['session#*'] },
      Session: { 'dynamodb:GetItem': ['session#*'] },
      Logout: { 'dynamodb:DeleteItem': ['session#*'] },
      BackchannelLogout: { 'dynamodb:PutItem': ['logout-jti#*'], 'dynamodb:UpdateItem': ['session#*'] },
      // PartiQL: no documented LeadingKeys (lib/permissions.ts says why).
      Refresh: { 'dynamodb:UpdateItem': ['session#*'], 'dynamodb:PartiQLUpdate': null },
    };

    it.each(FUNCTION_IDS)('lets %s touch only the items its handler does (dynamodb:LeadingKeys)', (id) => {
      const want = byPrefix[id];
      if (!want) throw new Error(`no expectation for ${id}: state which items the new function may touch`);
      expect(s.itemActionConditions(fn(id))).toEqual(
        Object.fromEntries(
          Object.entries(want).map(([action, prefixes]) => [
            action,
            prefixes && { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } },
          ]),
        ),
      );
    });

    it('allows the token key only for this table and purpose (the handlers’ encryption context)', () => {
      const keyId = s.stack.getLogicalId(backend.kmsKey.node.defaultChild as never);
      const tableRef = { Ref: s.stack.getLogicalId(backend.table.node.defaultChild as never) };
      const context = encryptionContext('TABLE');
      expect(Object.keys(context).sort()).toEqual(['purpose', 'table']);
      for (const f of backend.functions) {
        for (const st of s
          .statementsOf(f)
          .filter((x) => asArray(x.Action).some((a) => a.startsWith('kms:')))) {
          expect(st.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
          expect(st.Condition).toEqual({
            StringEquals: {
              'kms:EncryptionContext:purpose': context.purpose,
              'kms:EncryptionContext:table': tableRef,
            },
          });
        }
      }
    });

    it.each(FUNCTION_IDS)(
      'lets %s write only to its own log group, with its own role and no managed policy',
      (id) => {
        const props = s.resource(s.functionId(fn(id))).Properties;
        const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const logs = s
          .statementsOf(fn(id))
          .filter((st) => asArray(st.Action).some((a) => a.startsWith('logs:')));
        expect(logs.map((st) => st.Resource)).toEqual([{ 'Fn::GetAtt': [logGroupId, 'Arn'] }]);
        const role = s.resource(s.roleIdOf(fn(id)));
        expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
        const otherRoles = backend.functions.filter((f) => f !== fn(id)).map((f) => s.roleIdOf(f));
        expect(otherRoles).not.toContain(s.roleIdOf(fn(id)));
      },
    );

    it.each(FUNCTION_IDS)('grants %s no wildcard action or resource, and only Allow statements', (id) => {
      for (const st of s.statementsOf(fn(id))) {
        expect(st.Effect).toBe('Allow');
        for (const action of asArray(st.Action)) expect(action).not.toContain('*');
        expect(JSON.stringify(st.Resource)).not.toMatch(/"\*"|:\*"/);
      }
    });
  });

  describe('alarms', () => {
    it('alarms on refresh failures of this instance: the service-only series, summed over 5 minutes', () => {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.refreshFailed,
        Dimensions: [{ Name: 'service', Value: 'Test/Auth' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(backend.refreshFailedAlarm).toBeDefined();
    });

    it('alarms on API 5xx', () => {
      const apiId = s.stack.getLogicalId(backend.httpApi.node.defaultChild as never);
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
        Threshold: 5,
      });
    });

    it.each(FUNCTION_IDS)('alarms on errors and throttles of %s', (id) => {
      for (const metricName of ['Errors', 'Throttles']) {
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.functionId(fn(id)) } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
    });

    it('exposes every alarm, without actions when no topic is given, and no dashboard', () => {
      s.template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * FUNCTION_IDS.length);
      expect(backend.alarms).toHaveLength(2 + 2 * FUNCTION_IDS.length);
      for (const [, alarm] of s.ofType('AWS::CloudWatch::Alarm'))
        expect(alarm.Properties).not.toHaveProperty('AlarmActions');
      s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
      expect(backend.dashboard).toBeUndefined();
    });
  });
});

describe('OAuthBackend options', () => {
  it('adds no schedule when refreshSchedule is zero, but keeps the refresh function', () => {
    const { s, backend } = synth({ refreshSchedule: Duration.seconds(0) });
    s.template.resourceCountIs('AWS::Events::Rule', 0);
    s.template.resourceCountIs('AWS::Lambda::Function', ROUTE_LIST.length + 1);
    expect(backend.refreshRule).toBeUndefined();
  });

  it('uses the given refresh rate', () => {
    const { s } = synth({ refreshSchedule: Duration.minutes(5) });
    s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('passes explicit endpoints, and the issuer as the expected issuer', () => {
    const { s, backend } = synth({
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
    });
    expect(s.environmentOf(backend.redirectFunction)).toMatchObject({
      [ENV.authorizationEndpoint]: 'https://as.example.com/authorize',
      [ENV.tokenEndpoint]: 'https://as.example.com/token',
      [ENV.issuer]: ISSUER,
    });
  });

  it('accepts explicit endpoints without an issuer', () => {
    const { s, backend } = synth({
      issuer: undefined,
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
    });
    expect(s.environmentOf(backend.loginFunction)).not.toHaveProperty(ENV.issuer);
  });

  it('passes the remaining settings through', () => {
    const { s, backend } = synth({
      clientAuthMethod: 'client_secret_post',
      scopes: ['openid', 'profile', 'offline_access'],
      authorizationParams: { audience: 'https://api.example.com', resource: 'https://api.example.com/' },
      refreshBeforeExpiry: Duration.minutes(2),
      loginTimeout: Duration.minutes(5),
      sessionDuration: Duration.days(1),
      postLoginPath: '/app',
      postLogoutPath: '/bye',
      cookiePrefix: 'app_',
      allowedOrigins: ['https://app.example.com', 'https://admin.example.com:8443'],
      logoutIdTokenHint: true,
      httpTimeout: Duration.seconds(3),
      throttle: { rateLimit: 5, burstLimit: 10 },
      serviceName: 'shop-auth',
      metricsNamespace: 'Shop/Auth',
    });
    expect(s.environmentOf(backend.loginFunction)).toMatchObject({
      [ENV.clientAuthMethod]: 'client_secret_post',
      [ENV.scope]: 'openid profile offline_access',
      [ENV.authorizationParams]:
        '{"audience":"https://api.example.com","resource":"https://api.example.com/"}',
      [ENV.refreshBeforeExpirySeconds]: '120',
      [ENV.loginTimeoutSeconds]: '300',
      [ENV.sessionDurationSeconds]: '86400',
      [ENV.postLoginPath]: '/app',
      [ENV.postLogoutPath]: '/bye',
      [ENV.cookiePrefix]: 'app_',
      [ENV.allowedOrigins]: 'https://app.example.com,https://admin.example.com:8443',
      [ENV.logoutIdTokenHint]: 'true',
      [ENV.httpTimeoutMs]: '3000',
      POWERTOOLS_SERVICE_NAME: 'shop-auth',
      POWERTOOLS_METRICS_NAMESPACE: 'Shop/Auth',
    });
    expect(backend.cookiePrefix).toBe('app_');
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Shop/Auth',
      Dimensions: [{ Name: 'service', Value: 'shop-auth' }],
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
    const s = new Synthesized(stack);

    expect(backend.clientSecret).toBe(secret);
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(s.environmentOf(backend.loginFunction)[ENV.clientSecretArn]).toBe(secret.secretArn);
    const reads = s
      .statementsOf(backend.redirectFunction)
      .filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'));
    expect(reads.map((st) => st.Resource)).toEqual([secret.secretArn]);
  });

  it('uses an existing key instead of creating one', () => {
    const stack = new Stack(newApp(), 'Test');
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const kmsKey = Key.fromKeyArn(stack, 'Key', keyArn);
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', kmsKey });
    const s = new Synthesized(stack);
    s.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(backend.kmsKey).toBe(kmsKey);
    expect(s.environmentOf(backend.refreshFunction)[ENV.tokenKmsKeyId]).toBe(keyArn);
    const kms = s
      .statementsOf(backend.refreshFunction)
      .filter((st) => asArray(st.Action).includes('kms:Decrypt'));
    expect(kms.map((st) => st.Resource)).toEqual([keyArn]);
  });

  it('uses an existing table by name, scoping Query to its refresh index', () => {
    const stack = new Stack(newApp(), 'Test');
    const table = Table.fromTableName(stack, 'Existing', 'my-sessions');
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', table });
    const s = new Synthesized(stack);
    s.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(s.environmentOf(backend.loginFunction)[ENV.tableName]).toBe('my-sessions');
    const query = s
      .statementsOf(backend.refreshFunction)
      .filter((st) => asArray(st.Action).includes('dynamodb:Query'));
    expect(stack.resolve(query[0]?.Resource)).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':dynamodb:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':table/my-sessions/index/refresh-due',
        ],
      ],
    });
  });

  it('accepts an existing Table that has the schema', () => {
    const stack = new Stack(newApp(), 'Test');
    const table = new Table(stack, 'Mine', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });
    table.addGlobalSecondaryIndex({
      indexName: 'refresh-due',
      partitionKey: { name: 'refreshShard', type: AttributeType.STRING },
      sortKey: { name: 'refreshAt', type: AttributeType.NUMBER },
    });
    table.addGlobalSecondaryIndex({
      indexName: 'session-subject',
      partitionKey: { name: 'sub', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['sid'],
    });
    // Read through schemaV2(): the deprecated schema() would print a warning at every synth of the
    // embedder's app, and throw under JSII_DEPRECATED=fail.
    const deprecated = vi.spyOn(Table.prototype, 'schema');
    try {
      expect(() => new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', table })).not.toThrow();
      expect(deprecated).not.toHaveBeenCalled();
    } finally {
      deprecated.mockRestore();
    }
  });

  it('reads the schema of a Table of an aws-cdk-lib without schemaV2() through schema()', () => {
    // The Table of aws-cdk-lib versions of our peer range that predate schemaV2(): schema() only.
    type Key = { name: string; type: AttributeType };
    const key = (name: string, type: AttributeType): Key => ({ name, type });
    const schemas: Record<string, { partitionKey: Key; sortKey?: Key }> = {
      table: { partitionKey: key('pk', AttributeType.STRING) },
      'refresh-due': {
        partitionKey: key('refreshShard', AttributeType.STRING),
        sortKey: key('refreshAt', AttributeType.NUMBER),
      },
    };
    const olderTable = {
      schema(indexName?: string) {
        const schema = schemas[indexName ?? 'table'];
        if (!schema) throw new Error(`Cannot find schema for index: ${indexName}`);
        return schema;
      },
    } as unknown as ITable;
    const problems: string[] = [];
    checkTableSchema(olderTable, problems);
    expect(problems).toEqual([expect.stringMatching(/global secondary index "session-subject"/)]);
    schemas['session-subject'] = { partitionKey: key('sub', AttributeType.STRING) };
    problems.length = 0;
    checkTableSchema(olderTable, problems);
    expect(problems).toEqual([]);
  });

  it('refuses an existing Table whose refresh index has a multi-attribute partition key', () => {
    const stack = new Stack(newApp(), 'Test');
    const table = new Table(stack, 'Mine', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    table.addGlobalSecondaryIndex({
      indexName: 'refresh-due',
      partitionKeys: [
        { name: 'refreshShard', type: AttributeType.STRING },
        { name: 'tenant', type: AttributeType.STRING },
      ],
      sortKey: { name: 'refreshAt', type: AttributeType.NUMBER },
    });
    table.addGlobalSecondaryIndex({
      indexName: 'session-subject',
      partitionKey: { name: 'sub', type: AttributeType.STRING },
    });
    expect(() => new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', table })).toThrow(
      /global secondary index "refresh-due"/,
    );
  });

  it.each([
    ['another partition key', { name: 'id', type: AttributeType.STRING }, true, true],
    ['no refresh index', { name: 'pk', type: AttributeType.STRING }, false, true],
    ['no subject index', { name: 'pk', type: AttributeType.STRING }, true, false],
  ])('refuses an existing Table with %s', (_name, partitionKey, withIndex, withSubjectIndex) => {
    const stack = new Stack(newApp(), 'Test');
    const table = new Table(stack, 'Mine', { partitionKey });
    if (withIndex) {
      table.addGlobalSecondaryIndex({
        indexName: 'refresh-due',
        partitionKey: { name: 'refreshShard', type: AttributeType.STRING },
        sortKey: { name: 'refreshAt', type: AttributeType.NUMBER },
      });
    }
    if (withSubjectIndex) {
      table.addGlobalSecondaryIndex({
        indexName: 'session-subject',
        partitionKey: { name: 'sub', type: AttributeType.STRING },
      });
    }
    expect(() => new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', table })).toThrow(
      /table must have/,
    );
  });

  it('lets the functions use a customer managed table key, only through DynamoDB', () => {
    const stack = new Stack(newApp(), 'Test');
    const tableKey = new Key(stack, 'TableKey', { enableKeyRotation: true });
    const backend = new OAuthBackend(stack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      tableProps: { encryptionKey: tableKey },
    });
    const s = new Synthesized(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(tableKey.node.defaultChild as never), 'Arn'] };
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
    });
    const viaDynamo = (f: IFunction) =>
      s.statementsOf(f).filter((st) => JSON.stringify(st.Condition ?? {}).includes('kms:ViaService'));
    for (const f of backend.functions) {
      const [statement, ...more] = viaDynamo(f);
      expect(more).toEqual([]);
      expect(statement?.Resource).toEqual(keyArn);
      expect(JSON.stringify(statement?.Condition)).toContain('dynamodb.');
      for (const action of asArray(statement?.Action)) expect(action).not.toContain('*');
    }
    // A function that only reads items may only decrypt.
    expect(asArray(viaDynamo(backend.sessionFunction)[0]?.Action).sort()).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
    ]);
    expect(asArray(viaDynamo(backend.loginFunction)[0]?.Action)).toContain('kms:GenerateDataKey');
  });

  it('applies table and function overrides', () => {
    const { s, backend } = synth({
      tableProps: { tableName: 'sessions', deletionProtection: true },
      functionProps: {
        memorySize: 512,
        reservedConcurrentExecutions: 20,
        environment: { EXTRA: 'yes', POWERTOOLS_DEV: 'true' },
      },
      logRetention: RetentionDays.ONE_WEEK,
    });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'sessions',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    for (const f of backend.functions) {
      expect(s.resource(s.functionId(f)).Properties).toMatchObject({
        MemorySize: 512,
        ReservedConcurrentExecutions: 20,
      });
      expect(s.environmentOf(f).EXTRA).toBe('yes');
      // The construct's POWERTOOLS_DEV=false is a default the embedder may turn on.
      expect(s.environmentOf(f).POWERTOOLS_DEV).toBe('true');
    }
    for (const [, group] of s.ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it('turns on active tracing when asked', () => {
    const { s, backend } = synth({ tracing: true });
    for (const f of backend.functions) {
      expect(s.resource(s.functionId(f)).Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('sends alarms to the given topic and builds the dashboard when asked', () => {
    const stack = new Stack(newApp(), 'Test');
    const topic = new Topic(stack, 'Alarms');
    const backend = new OAuthBackend(stack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      alarmTopic: topic,
      dashboard: true,
    });
    const s = new Synthesized(stack);
    const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as never) };
    for (const [, alarm] of s.ofType('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(backend.dashboard).toBeDefined();
    // Among its graphs, the cold starts that compiled their bundle (the loader's metric).
    const [[, dashboard]] = [...s.ofType('AWS::CloudWatch::Dashboard')] as [[string, Resource]];
    const body = JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
    expect(body).toContain('Cold starts without the code cache');
    expect(body).toContain(`${METRICS_NAMESPACE}\\",\\"${METRIC.codeCacheMissed}\\",\\"service`);
  });

  it('creates no alarms when they are turned off', () => {
    const { s, backend } = synth({ enableAlarms: false });
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(backend.alarms).toEqual([]);
  });

  it('declares the local-only variables as empty for sam local, and only then', () => {
    const stack = new Stack(newApp(), 'Test');
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'client-1' });
    declareSamLocalVariables(backend);
    const s = new Synthesized(stack);
    for (const f of backend.functions) {
      for (const name of SAM_LOCAL_VARIABLES) expect(s.environmentOf(f)[name]).toBe('');
    }
  });

  it('applies the removal policy to the table, the created secret and key, and the log groups', () => {
    const { s } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::SecretsManager::Secret',
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
    ]) {
      const resources = s.ofType(type);
      expect(resources.length).toBeGreaterThan(0);
      for (const [, r] of resources) expect(r.DeletionPolicy).toBe('Delete');
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
    [
      'an authorization parameter the backend owns',
      { authorizationParams: { audience: 'https://api.example.com', state: 'fixed' } },
      /authorizationParams: "state" is set by the backend itself/,
    ],
    [
      'a redirect_uri authorization parameter',
      { authorizationParams: { redirect_uri: 'https://x' } },
      /"redirect_uri"/,
    ],
    [
      'an invalid prompt authorization parameter',
      { authorizationParams: { prompt: 'none login' } },
      /"prompt"/,
    ],
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
    ['a post-logout path to another origin', { postLogoutPath: '/\\evil.example' }, /postLogoutPath/],
    ['an empty cookie prefix', { cookiePrefix: '' }, /cookiePrefix/],
    ['a cookie prefix with a semicolon', { cookiePrefix: 'a;b' }, /cookiePrefix/],
    ['a cookie prefix over 32 characters', { cookiePrefix: 'x'.repeat(33) }, /cookiePrefix/],
    ['a path prefix without a leading slash', { pathPrefix: 'auth' }, /pathPrefix/],
    ['a path prefix with a trailing slash', { pathPrefix: '/auth/' }, /pathPrefix/],
    ['a path prefix with a parameter', { pathPrefix: '/{tenant}' }, /pathPrefix/],
    [
      'a plain http redirect URI',
      { redirectUri: 'http://app.example.com/redirect' },
      /redirectUri must be an https URL/,
    ],
    [
      'a redirect URI for another path',
      { redirectUri: 'https://app.example.com/callback' },
      /must end with \/redirect/,
    ],
    [
      'a redirect URI without the path prefix',
      { pathPrefix: '/auth', redirectUri: 'https://app.example.com/redirect' },
      /must end with \/auth\/redirect/,
    ],
    ['a redirect URI with a query', { redirectUri: 'https://app.example.com/redirect?x=1' }, /no query/],
    ['an allowed origin with a path', { allowedOrigins: ['https://app.example.com/app'] }, /bare origins/],
    ['a plain http allowed origin', { allowedOrigins: ['http://app.example.com'] }, /https/],
    ['a service name with spaces', { serviceName: 'my service' }, /serviceName/],
    ['a negative alarm threshold', { refreshFailureAlarmThreshold: -1 }, /refreshFailureAlarmThreshold/],
    ['a fractional alarm threshold', { serverErrorAlarmThreshold: 1.5 }, /serverErrorAlarmThreshold/],
  ])('throws for %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('refuses an existing table together with table overrides', () => {
    const stack = new Stack(newApp(), 'Test');
    const table = Table.fromTableName(stack, 'T', 'sessions');
    expect(
      () =>
        new OAuthBackend(stack, 'Auth', {
          issuer: ISSUER,
          clientId: 'c',
          table,
          tableProps: { tableName: 'x' },
        }),
    ).toThrow(/either table .* or tableProps/);
  });

  it('refuses function overrides of the variables it sets', () => {
    expect(() => synth({ functionProps: { environment: { [ENV.tableName]: 'other' } } })).toThrow(
      /functionProps.environment must not set TABLE_NAME/,
    );
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
    expect(Object.keys(outputs).sort()).toEqual([
      'BackchannelLogoutUri',
      'ClientSecretArn',
      'LoginUrl',
      'RedirectUri',
      'TableName',
    ]);
    expect(outputs.RedirectUri?.Value).toEqual(stack.resolve(stack.backend.redirectUri));
    expect(outputs.BackchannelLogoutUri?.Value).toEqual(stack.resolve(stack.backend.backchannelLogoutUri));
    expect(stack.resolve(stack.backend.backchannelLogoutUri)).toEqual(
      stack.resolve(`${stack.backend.url}/backchannel-logout`),
    );
    expect(outputs.LoginUrl?.Value).toEqual(stack.resolve(stack.backend.loginUrl));
  });
});
