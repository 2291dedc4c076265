/**
 * The construct embedded the ways an application embeds it: twice in one stack, on an existing
 * HTTP API under a path prefix, behind a custom domain, and with the app's own functions reading
 * sessions. Each instance's redirect URI must name a route of its own.
 */
import { Stack } from 'aws-cdk-lib';
import { DomainName, HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import { ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { ACCESS_LOG_FORMAT } from '../../lib/api.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import { asArray, newApp, type Resource, Synthesized } from './support.js';

const ISSUER = 'https://issuer.example.com';
const routeOf = (id: string) => {
  const route = ROUTE_LIST.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
};

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

/**
 * The redirect URI a backend's functions use, resolved, and the route keys on its API that reach
 * its own functions.
 */
function wiring(s: Synthesized, backend: OAuthBackend) {
  const redirectUri = s.environmentOf(backend.redirectFunction)[ENV.redirectUri];
  for (const fn of backend.functions) expect(s.environmentOf(fn)[ENV.redirectUri]).toEqual(redirectUri);
  const ownIds = new Set(backend.functions.map((f) => s.functionId(f)));
  const apiRef = { Ref: s.stack.getLogicalId(backend.httpApi.node.defaultChild as never) };
  const routes = s.routes().filter((r) => ownIds.has(r.functionId));
  for (const route of routes) expect(route.apiRef).toEqual(apiRef);
  const redirectRoute = routes.find((r) => r.functionId === s.functionId(backend.redirectFunction));
  return { redirectUri, routes, redirectRoute, apiRef };
}

describe('two instances in one stack', () => {
  let s: Synthesized;
  let first: OAuthBackend;
  let second: OAuthBackend;
  beforeAll(() => {
    const stack = new Stack(newApp(), 'Host');
    first = new OAuthBackend(stack, 'Customers', { issuer: ISSUER, clientId: 'customers' });
    second = new OAuthBackend(stack, 'Staff', { issuer: 'https://login.example.org', clientId: 'staff' });
    s = new Synthesized(stack);
  });

  it('gives each its own API, table, secret, key, functions and log groups', () => {
    for (const type of [
      'AWS::ApiGatewayV2::Api',
      'AWS::DynamoDB::Table',
      'AWS::SecretsManager::Secret',
      'AWS::KMS::Key',
    ]) {
      s.template.resourceCountIs(type, 2);
    }
    s.template.resourceCountIs('AWS::Lambda::Function', 2 * (ROUTE_LIST.length + 1));
    expect(new Set([...first.functions, ...second.functions].map((f) => s.functionId(f))).size).toBe(
      2 * (ROUTE_LIST.length + 1),
    );
  });

  it('points each redirect URI at a GET /redirect route of its own API that reaches its own function', () => {
    for (const backend of [first, second]) {
      const { redirectUri, redirectRoute, apiRef } = wiring(s, backend);
      expect(redirectRoute?.routeKey).toBe('GET /redirect');
      expect(redirectUri).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [apiRef.Ref, 'ApiEndpoint'] }, routeOf('Redirect').path]],
      });
    }
  });

  it('keeps their metrics and alarms apart by service name', () => {
    expect(first.serviceName).toBe('Host/Customers');
    expect(second.serviceName).toBe('Host/Staff');
    const services = s
      .ofType('AWS::CloudWatch::Alarm')
      .flatMap(([, a]) => asArray(a.Properties.Dimensions as { Name: string; Value: unknown }[]))
      .filter((d) => d.Name === 'service')
      .map((d) => d.Value);
    expect(services.sort()).toEqual(['Host/Customers', 'Host/Staff']);
  });
});

describe('on an existing HttpApi under a path prefix', () => {
  let s: Synthesized;
  let api: HttpApi;
  let backend: OAuthBackend;
  let stage: Resource;
  beforeAll(() => {
    const stack = new Stack(newApp(), 'Host');
    // A default authorizer on the host API: the sign-in routes must not inherit it.
    api = new HttpApi(stack, 'Api', { defaultAuthorizer: new HttpIamAuthorizer() });
    backend = new OAuthBackend(stack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      httpApi: api,
      pathPrefix: '/auth',
    });
    s = new Synthesized(stack);
    const [[, found]] = s.ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    stage = found;
  });

  it('adds its routes under the prefix to that API and creates no API of its own', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(backend.httpApi).toBe(api);
    const { routes } = wiring(s, backend);
    expect(routes.map((r) => r.routeKey).sort()).toEqual(
      ROUTE_LIST.map((r) => `${r.method} /auth${r.path}`).sort(),
    );
    for (const route of routes) expect(route.authorizationType).toBe('NONE');
  });

  it('uses the API endpoint plus prefix as its redirect URI, matching its GET /auth/redirect route', () => {
    const { redirectUri, redirectRoute, apiRef } = wiring(s, backend);
    expect(redirectRoute?.routeKey).toBe('GET /auth/redirect');
    expect(redirectUri).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiRef.Ref, 'ApiEndpoint'] }, '/auth/redirect']],
    });
    expect(s.stack.resolve(backend.loginUrl)).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiRef.Ref, 'ApiEndpoint'] }, '/auth/login']],
    });
  });

  it('throttles its own routes on the host stage and turns on access logging there', () => {
    const settings = stage.Properties.RouteSettings as Record<string, unknown>;
    for (const r of ROUTE_LIST) {
      expect(settings[`${r.method} /auth${r.path}`]).toEqual({
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
      });
    }
    expect(stage.Properties).not.toHaveProperty('DefaultRouteSettings');
    expect(stage.Properties.AccessLogSettings).toEqual({
      DestinationArn: {
        'Fn::GetAtt': [s.stack.getLogicalId(backend.accessLogGroup?.node.defaultChild as never), 'Arn'],
      },
      Format: ACCESS_LOG_FORMAT,
    });
  });

  it('makes the host stage wait for the routes its route settings name', () => {
    const dependsOn = asArray(
      (s.template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string | string[] }>)[
        s.stack.getLogicalId(api.defaultStage?.node.defaultChild as never)
      ]?.DependsOn,
    );
    for (const route of backend.routes) {
      expect(dependsOn).toContain(s.stack.getLogicalId(route.node.defaultChild as never));
    }
  });

  it('leaves the API-wide 5xx alarm to the API owner', () => {
    expect(backend.serverErrorAlarm).toBeUndefined();
    expect(backend.refreshFailedAlarm).toBeDefined();
  });
});

describe('two instances on one existing API', () => {
  it('works with their own path prefixes and cookie prefixes', () => {
    const stack = new Stack(newApp(), 'Host');
    const api = new HttpApi(stack, 'Api');
    const a = new OAuthBackend(stack, 'A', {
      issuer: ISSUER,
      clientId: 'a',
      httpApi: api,
      pathPrefix: '/a',
      cookiePrefix: 'a-',
    });
    const b = new OAuthBackend(stack, 'B', {
      issuer: ISSUER,
      clientId: 'b',
      httpApi: api,
      pathPrefix: '/b',
      cookiePrefix: 'b-',
    });
    const s = new Synthesized(stack);
    expect(wiring(s, a).redirectRoute?.routeKey).toBe('GET /a/redirect');
    expect(wiring(s, b).redirectRoute?.routeKey).toBe('GET /b/redirect');
    // The first instance turned on access logging; the second leaves it alone.
    expect(a.accessLogGroup).toBeDefined();
    expect(b.accessLogGroup).toBeUndefined();
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 2 * ROUTE_LIST.length);
  });

  it('refuses two instances with the same routes', () => {
    const stack = new Stack(newApp(), 'Host');
    const api = new HttpApi(stack, 'Api');
    new OAuthBackend(stack, 'A', { issuer: ISSUER, clientId: 'a', httpApi: api, cookiePrefix: 'a-' });
    expect(
      () => new OAuthBackend(stack, 'B', { issuer: ISSUER, clientId: 'b', httpApi: api, cookiePrefix: 'b-' }),
    ).toThrow(/route GET \/login of Host\/B is already taken by Host\/A/);
  });

  it('refuses two instances with the same cookie prefix', () => {
    const stack = new Stack(newApp(), 'Host');
    const api = new HttpApi(stack, 'Api');
    new OAuthBackend(stack, 'A', { issuer: ISSUER, clientId: 'a', httpApi: api, pathPrefix: '/a' });
    expect(
      () => new OAuthBackend(stack, 'B', { issuer: ISSUER, clientId: 'b', httpApi: api, pathPrefix: '/b' }),
    ).toThrow(/same cookiePrefix "bff-"/);
  });
});

describe('existing API stages', () => {
  it('leaves a stage that is not the API’s default stage to its owner', () => {
    const stack = new Stack(newApp(), 'Host');
    const api = new HttpApi(stack, 'Api', { createDefaultStage: false });
    const stage = new HttpStage(stack, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 10, burstLimit: 20 },
    });
    // An HttpApi without a default stage: the stage is the embedder's, out of reach.
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', httpApi: api });
    expect(backend.accessLogGroup).toBeUndefined();
    const s = new Synthesized(stack);
    const [[, found]] = s.ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(found.Properties).not.toHaveProperty('RouteSettings');
    expect(found.Properties).not.toHaveProperty('AccessLogSettings');
    expect(found.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 10,
      ThrottlingBurstLimit: 20,
    });
    expect(stage.stageName).toBe('$default');
  });

  it('leaves the stage of an API in another stack alone, so the stacks do not depend on each other', () => {
    const app = newApp();
    const apiStack = new Stack(app, 'ApiStack');
    const api = new HttpApi(apiStack, 'Api');
    const authStack = new Stack(app, 'AuthStack');
    const backend = new OAuthBackend(authStack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      httpApi: api,
      pathPrefix: '/auth',
    });
    expect(() => app.synth()).not.toThrow();
    expect(backend.accessLogGroup).toBeUndefined();
    const [[, stage]] = new Synthesized(apiStack).ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties).not.toHaveProperty('AccessLogSettings');
    expect(stage.Properties).not.toHaveProperty('RouteSettings');
    expect(new Synthesized(authStack).routes().map((r) => r.routeKey)).toContain('GET /auth/redirect');
  });

  it('keeps the host stage’s own default throttling unless a throttle is given', () => {
    const build = (throttle?: { rateLimit: number; burstLimit: number }) => {
      const stack = new Stack(newApp(), 'Host');
      const api = new HttpApi(stack, 'Api');
      const cfnStage = api.defaultStage?.node.defaultChild as { defaultRouteSettings?: unknown };
      cfnStage.defaultRouteSettings = { throttlingRateLimit: 5, throttlingBurstLimit: 5 };
      new OAuthBackend(stack, 'Auth', {
        issuer: ISSUER,
        clientId: 'c',
        httpApi: api,
        ...(throttle ? { throttle } : {}),
      });
      const [[, found]] = new Synthesized(stack).ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
      return found.Properties;
    };
    expect(build()).not.toHaveProperty('RouteSettings');
    expect(build({ rateLimit: 7, burstLimit: 9 }).RouteSettings).toMatchObject({
      'GET /login': { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
  });

  it('needs redirectUri for an imported API without endpoint, and derives the login URL from it', () => {
    const stack = new Stack(newApp(), 'Host');
    const api = HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: 'abc123' });
    expect(() => new OAuthBackend(stack, 'A', { issuer: ISSUER, clientId: 'c', httpApi: api })).toThrow(
      /endpoint of httpApi is unknown.*give redirectUri/,
    );
    const backend = new OAuthBackend(stack, 'B', {
      issuer: ISSUER,
      clientId: 'c',
      httpApi: api,
      pathPrefix: '/auth',
      cookiePrefix: 'b-',
      redirectUri: 'https://app.example.com/auth/redirect',
    });
    expect(backend.loginUrl).toBe('https://app.example.com/auth/login');
    expect(backend.url).toBe('https://app.example.com/auth');
    expect(backend.accessLogGroup).toBeUndefined();
  });
});

describe('custom domain and redirect URI', () => {
  it('maps a custom domain, turns off the execute-api endpoint, and uses the domain in the redirect URI', () => {
    const stack = new Stack(newApp(), 'Host');
    const domainName = new DomainName(stack, 'Domain', {
      domainName: 'auth.example.com',
      certificate: Certificate.fromCertificateArn(
        stack,
        'Cert',
        'arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012',
      ),
    });
    const backend = new OAuthBackend(stack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      domainName,
      pathPrefix: '/oauth',
    });
    const s = new Synthesized(stack);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: s.stack.getLogicalId(backend.httpApi.node.defaultChild as never) },
      Stage: '$default',
    });
    expect(s.stack.resolve(s.environmentOf(backend.redirectFunction)[ENV.redirectUri])).toEqual({
      'Fn::Join': [
        '',
        ['https://', { Ref: s.stack.getLogicalId(domainName.node.defaultChild as never) }, '/oauth/redirect'],
      ],
    });
    expect(wiring(s, backend).redirectRoute?.routeKey).toBe('GET /oauth/redirect');
  });

  it('refuses a custom domain together with an existing API', () => {
    const stack = new Stack(newApp(), 'Host');
    const domainName = DomainName.fromDomainNameAttributes(stack, 'D', {
      name: 'auth.example.com',
      regionalDomainName: 'd-abc.execute-api.us-east-1.amazonaws.com',
      regionalHostedZoneId: 'Z1UJRXOUMOOFQ8',
    });
    expect(
      () =>
        new OAuthBackend(stack, 'Auth', {
          issuer: ISSUER,
          clientId: 'c',
          httpApi: new HttpApi(stack, 'Api'),
          domainName,
        }),
    ).toThrow(/map it yourself and give redirectUri/);
  });

  it('uses a given redirect URI (CloudFront in front) everywhere', () => {
    const stack = new Stack(newApp(), 'Host');
    const backend = new OAuthBackend(stack, 'Auth', {
      issuer: ISSUER,
      clientId: 'c',
      redirectUri: 'https://www.example.com/redirect',
    });
    const s = new Synthesized(stack);
    for (const fn of backend.functions) {
      expect(s.environmentOf(fn)[ENV.redirectUri]).toBe('https://www.example.com/redirect');
    }
    expect(backend.loginUrl).toBe('https://www.example.com/login');
  });
});

describe('grantSessionAccess', () => {
  it('gives the app’s function the handler variables and only session reads, updates, the secret and the key', () => {
    const stack = new Stack(newApp(), 'Host');
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', cookiePrefix: 'app-' });
    const appFn = new LambdaFunction(stack, 'AppFn', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
    });
    backend.grantSessionAccess(appFn);
    const s = new Synthesized(stack);

    const env = s.environmentOf(appFn);
    expect(env).toMatchObject({ [ENV.cookiePrefix]: 'app-', [ENV.clientId]: 'c', [ENV.issuer]: ISSUER });
    for (const name of Object.keys(backend.handlerEnvironment)) expect(env).toHaveProperty(name);
    expect(env).toHaveProperty(ENV.tableName);
    expect(env).toHaveProperty(ENV.tokenKmsKeyId);
    expect(env).not.toHaveProperty('POWERTOOLS_SERVICE_NAME');

    expect(s.actionsOf(appFn, 'dynamodb:')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // Session items only: no login transaction, no logout-token record.
    expect(s.itemActionConditions(appFn)).toEqual({
      'dynamodb:GetItem': { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] } },
      'dynamodb:UpdateItem': { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] } },
    });
    expect(s.actionsOf(appFn, 'secretsmanager:')).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(s.actionsOf(appFn, 'kms:')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const kms = s.statementsOf(appFn).filter((st) => asArray(st.Action).includes('kms:Decrypt'));
    expect(JSON.stringify(kms[0]?.Condition)).toContain('kms:EncryptionContext:table');
  });

  it('refuses a function whose role it cannot change, rather than granting nothing', () => {
    const stack = new Stack(newApp(), 'Host');
    const backend = new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c' });
    const imported = LambdaFunction.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:us-east-1:111122223333:function:app',
    );
    expect(() => backend.grantSessionAccess(imported)).toThrow();
  });
});
