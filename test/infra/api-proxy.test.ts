/**
 * The API proxy in the template: its routes, its function, its least privilege, its alarms and
 * throttling, and the synth-time checks of `apiRoutes`.
 */
import { Stack } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import type { OAuthBackendProps } from '../../lib/props.js';
import { asArray, newApp, Synthesized } from './support.js';

const ISSUER = 'https://issuer.example.com';
const API_ROUTES = [
  { path: '/api/orders', upstream: 'https://orders.example.com/v1' },
  { path: '/api/users', upstream: 'https://users.example.com' },
];

function synth(props: Partial<OAuthBackendProps> = {}, existingApi = false) {
  const stack = new Stack(newApp(), 'Test');
  const httpApi = existingApi ? new HttpApi(stack, 'Api') : undefined;
  const backend = new OAuthBackend(stack, 'Auth', {
    issuer: ISSUER,
    clientId: 'c',
    apiRoutes: API_ROUTES,
    ...(httpApi ? { httpApi } : {}),
    ...props,
  });
  return { backend, s: new Synthesized(stack) };
}

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

describe('OAuthBackend with apiRoutes', () => {
  let backend: OAuthBackend;
  let s: Synthesized;
  beforeAll(() => {
    ({ backend, s } = synth());
  });

  it('adds ANY <path> and ANY <path>/{proxy+} per API route, all to the one proxy function, without an authorizer', () => {
    const proxy = backend.apiProxyFunction;
    if (!proxy) throw new Error('no proxy function');
    const proxyRoutes = s.routes().filter((r) => r.routeKey.startsWith('ANY '));
    expect(proxyRoutes.map((r) => r.routeKey).sort()).toEqual([
      'ANY /api/orders',
      'ANY /api/orders/{proxy+}',
      'ANY /api/users',
      'ANY /api/users/{proxy+}',
    ]);
    for (const route of proxyRoutes) {
      expect(route.functionId).toBe(s.functionId(proxy));
      expect(route.authorizationType).toBe('NONE');
    }
    expect(backend.apiProxyRoutes).toHaveLength(4);
    expect(backend.functions).toContain(proxy);
  });

  it('gives the handlers API_ROUTES as JSON', () => {
    const proxy = backend.apiProxyFunction;
    if (!proxy) throw new Error('no proxy function');
    expect(JSON.parse(String(s.environmentOf(proxy)[ENV.apiRoutes]))).toEqual(API_ROUTES);
    expect(backend.handlerEnvironment[ENV.apiRoutes]).toBeDefined();
  });

  it('grants the proxy function only session reads and updates, the secret, and the token key', () => {
    const proxy = backend.apiProxyFunction;
    if (!proxy) throw new Error('no proxy function');
    expect(s.actionsOf(proxy, 'dynamodb:')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // Session items only: no login transaction, no logout-token record.
    expect(s.itemActionConditions(proxy)).toEqual({
      'dynamodb:GetItem': { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] } },
      'dynamodb:UpdateItem': { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] } },
    });
    expect(s.actionsOf(proxy, 'kms:')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(s.actionsOf(proxy, 'secretsmanager:')).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    for (const st of s.statementsOf(proxy)) expect(asArray(st.Action).join()).not.toContain('*');
  });

  it('has alarms for the proxy function', () => {
    const alarms = s.ofType('AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarms.some((id) => id.includes('ApiProxyErrorsAlarm'))).toBe(true);
    expect(alarms.some((id) => id.includes('ApiProxyThrottlesAlarm'))).toBe(true);
  });

  it('throttles the proxy routes on an existing API', () => {
    const { s: existing } = synth({ pathPrefix: '/auth' }, true);
    const [, stage] = existing.ofType('AWS::ApiGatewayV2::Stage')[0] ?? [];
    const settings = stage?.Properties.RouteSettings as Record<string, unknown>;
    expect(Object.keys(settings).sort()).toEqual(
      [
        'ANY /api/orders',
        'ANY /api/orders/{proxy+}',
        'ANY /api/users',
        'ANY /api/users/{proxy+}',
        'GET /auth/login',
        'GET /auth/redirect',
        'GET /auth/session',
        'POST /auth/backchannel-logout',
        'POST /auth/logout',
      ].sort(),
    );
  });

  it('creates no proxy without apiRoutes', () => {
    const { backend: plain, s: template } = synth({ apiRoutes: [] });
    expect(plain.apiProxyFunction).toBeUndefined();
    expect(template.routes().filter((r) => r.routeKey.startsWith('ANY '))).toEqual([]);
    expect(plain.handlerEnvironment[ENV.apiRoutes]).toBeUndefined();
  });

  it.each([
    [
      [{ path: '/auth', upstream: 'https://x.example' }],
      { pathPrefix: '/auth' },
      /overlaps the backend's route \/auth\/login/,
    ],
    [[{ path: '/login', upstream: 'https://x.example' }], {}, /overlaps the backend's route \/login/],
    [[{ path: '/api', upstream: 'http://127.0.0.1:8080' }], {}, /apiRoutes\[0\]\.upstream must use https/],
    [
      [
        { path: '/api', upstream: 'https://x.example' },
        { path: '/api/x', upstream: 'https://y.example' },
      ],
      {},
      /apiRoutes\[1\]\.path \/api\/x overlaps \/api/,
    ],
    [[{ path: '/api/{id}', upstream: 'https://x.example' }], {}, /apiRoutes\[0\]\.path must be/],
  ])('refuses apiRoutes %j at synth', (apiRoutes, extra, message) => {
    expect(() => synth({ apiRoutes, ...extra })).toThrow(message);
  });

  it('refuses two instances whose API routes clash on one API', () => {
    const stack = new Stack(newApp(), 'Test');
    const httpApi = new HttpApi(stack, 'Api');
    new OAuthBackend(stack, 'A', {
      issuer: ISSUER,
      clientId: 'a',
      httpApi,
      pathPrefix: '/a',
      apiRoutes: API_ROUTES,
    });
    expect(
      () =>
        new OAuthBackend(stack, 'B', {
          issuer: ISSUER,
          clientId: 'b',
          httpApi,
          pathPrefix: '/b',
          cookiePrefix: 'b-',
          apiRoutes: API_ROUTES,
        }),
    ).toThrow(/ANY \/api\/orders of Test\/B is already taken by Test\/A/);
  });
});
