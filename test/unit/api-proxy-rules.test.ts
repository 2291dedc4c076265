import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApiRoute, checkApiRoutes, pathsOverlap } from '../../lambdas/shared/definitions/api-routes.js';
import { HttpError } from '../../lambdas/shared/http/errors.js';
import {
  findApiRoute,
  forwardedHeaders,
  isTextContentType,
  returnedHeaders,
  upstreamUrl,
} from '../../lambdas/shared/http/proxy.js';

const RULES = {
  allowLoopbackHttp: false,
  reservedPaths: ['/login', '/redirect', '/session', '/logout'],
  name: 'apiRoutes',
};
const route = (path: string, upstream: string): ApiRoute => {
  const { routes, problems } = checkApiRoutes([{ path, upstream }], { ...RULES, allowLoopbackHttp: true });
  expect(problems).toEqual([]);
  const [parsed] = routes;
  if (!parsed) throw new Error('no route');
  return parsed;
};

describe('checkApiRoutes', () => {
  it('accepts https upstreams with a base path and literal paths', () => {
    const { routes, problems } = checkApiRoutes(
      [
        { path: '/api/orders', upstream: 'https://orders.example.com/v1/' },
        { path: '/api/users', upstream: 'https://users.example.com' },
      ],
      RULES,
    );
    expect(problems).toEqual([]);
    expect(routes.map((r) => [r.path, r.upstream.href])).toEqual([
      ['/api/orders', 'https://orders.example.com/v1'],
      ['/api/users', 'https://users.example.com/'],
    ]);
  });

  it.each([
    ['not an array', { path: '/api', upstream: 'https://x.example' }, /must be a JSON array/],
    ['a relative path', [{ path: 'api', upstream: 'https://x.example' }], /path must be an absolute path/],
    ['a trailing slash', [{ path: '/api/', upstream: 'https://x.example' }], /path must be/],
    ['a parameter', [{ path: '/api/{id}', upstream: 'https://x.example' }], /path must be/],
    ['a dot segment', [{ path: '/api/..', upstream: 'https://x.example' }], /path must be/],
    ['plain http', [{ path: '/api', upstream: 'http://x.example' }], /must use https/],
    ['loopback http at synth', [{ path: '/api', upstream: 'http://127.0.0.1:9' }], /must use https/],
    [
      'a query',
      [{ path: '/api', upstream: 'https://x.example/v1?a=1' }],
      /no credentials, query or fragment/,
    ],
    ['credentials', [{ path: '/api', upstream: 'https://u:p@x.example' }], /no credentials/],
    ['not a URL', [{ path: '/api', upstream: 'x.example' }], /absolute URL/],
    ['an unknown key', [{ path: '/api', upstream: 'https://x.example', host: 'y' }], /unknown keys: host/],
    [
      'a backend route',
      [{ path: '/login', upstream: 'https://x.example' }],
      /overlaps the backend's route \/login/,
    ],
    [
      'a parent of a backend route',
      [{ path: '/auth', upstream: 'https://x.example' }],
      /overlaps the backend's route/,
    ],
    [
      'overlapping paths',
      [
        { path: '/api', upstream: 'https://x.example' },
        { path: '/api/orders', upstream: 'https://y.example' },
      ],
      /overlaps \/api/,
    ],
  ])('refuses %s', (_name, input, message) => {
    const reserved = _name === 'a parent of a backend route' ? ['/auth/login'] : RULES.reservedPaths;
    const { problems } = checkApiRoutes(input, { ...RULES, reservedPaths: reserved });
    expect(problems.join('; ')).toMatch(message);
  });

  it('names every problem at once', () => {
    const { problems } = checkApiRoutes(
      [
        { path: 'x', upstream: 'http://a.example' },
        { path: '/login', upstream: 'https://b.example' },
        { path: '/ok', upstream: 'ftp://c.example' },
      ],
      RULES,
    );
    expect(problems).toHaveLength(4);
    expect(problems.filter((p) => p.startsWith('apiRoutes[0]'))).toHaveLength(2);
    expect(problems.filter((p) => p.startsWith('apiRoutes[1]'))).toHaveLength(1);
    expect(problems.filter((p) => p.startsWith('apiRoutes[2]'))).toHaveLength(1);
  });

  it('allows loopback http where the rules say so (the local stack)', () => {
    const { problems } = checkApiRoutes([{ path: '/api', upstream: 'http://127.0.0.1:8080/base' }], {
      ...RULES,
      allowLoopbackHttp: true,
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['/api', '/api', true],
    ['/api', '/api/orders', true],
    ['/api/orders', '/api', true],
    ['/api', '/apis', false],
    ['/api/orders', '/api/users', false],
  ])('pathsOverlap(%s, %s) is %s', (a, b, expected) => {
    expect(pathsOverlap(a, b)).toBe(expected);
  });
});

describe('upstreamUrl', () => {
  const orders = route('/api/orders', 'https://orders.example.com/v1');
  const root = route('/api/root', 'https://root.example.com');

  it.each([
    ['/api/orders', undefined, 'https://orders.example.com/v1'],
    ['/api/orders/', undefined, 'https://orders.example.com/v1/'],
    ['/api/orders/items/42', 'expand=lines', 'https://orders.example.com/v1/items/42?expand=lines'],
    ['/api/orders/a%20b/c.d', '', 'https://orders.example.com/v1/a%20b/c.d'],
  ])('maps %s?%s to %s', (path, query, expected) => {
    expect(upstreamUrl(orders, path, query).href).toBe(expected);
  });

  it('maps onto an upstream root without a double slash', () => {
    expect(upstreamUrl(root, '/api/root/x', '').href).toBe('https://root.example.com/x');
    expect(upstreamUrl(root, '/api/root', '').href).toBe('https://root.example.com/');
  });

  it.each([
    '/api/orders/../admin',
    '/api/orders/%2e%2e/admin',
    '/api/orders/%2E./admin',
    '/api/orders/./x',
    '/api/orders/a%2Fb',
    '/api/orders/a%5cb',
    '/api/orders/a\\b',
    '/api/orders//evil.example',
    '/api/orders/https://evil.example/',
    '/api/orders/a\u0000b',
    '/api/ordersX',
    '/api/other',
  ])('refuses %s with 400', (path) => {
    expect(() => upstreamUrl(orders, path, '')).toThrowError(
      expect.objectContaining({ status: 400, code: 'proxy_bad_path' }),
    );
  });

  it('never leaves the upstream origin or base path, whatever the rest of the path (property)', () => {
    const piece = fc.constantFrom(
      '/',
      '//',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      ':',
      '@',
      'a',
      'evil.example',
      'https:',
      '?',
      '#',
      '%00',
      '%',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.string({ maxLength: 20 }), (parts, query) => {
        const path = `/api/orders/${parts.join('')}`;
        let url: URL;
        try {
          url = upstreamUrl(orders, path, query.replace(/#/g, ''));
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
          expect((error as HttpError).status).toBe(400);
          return;
        }
        expect(url.origin).toBe('https://orders.example.com');
        expect(url.pathname === '/v1' || url.pathname.startsWith('/v1/')).toBe(true);
        expect(url.pathname.split('/').slice(1)).not.toContain('..');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('headers and routes', () => {
  it('forwards only the allowlisted request headers', () => {
    const headers = forwardedHeaders({
      accept: 'application/json',
      'content-type': 'text/plain',
      'if-none-match': '"v1"',
      cookie: '__Host-bff-session=x',
      authorization: 'Basic eA==',
      host: 'app.example',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
      'accept-encoding': 'gzip',
      'x-csrf': '1',
      origin: 'https://app.example',
    });
    expect([...headers.keys()].sort()).toEqual(['accept', 'content-type', 'if-none-match']);
  });

  it('returns only the allowlisted response headers', () => {
    const returned = returnedHeaders(
      new Headers({
        'content-type': 'application/json',
        etag: '"v2"',
        'set-cookie': 'a=b',
        'access-control-allow-origin': '*',
        'www-authenticate': 'Bearer',
        'cache-control': 'public',
        'content-encoding': 'gzip',
      }),
    );
    expect(returned).toEqual({ 'content-type': 'application/json', etag: '"v2"' });
  });

  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/html', true],
    ['application/octet-stream', false],
    ['image/png', false],
    [undefined, false],
  ])('isTextContentType(%s) is %s', (type, expected) => {
    expect(isTextContentType(type)).toBe(expected);
  });

  it('finds the route by path at a segment boundary only', () => {
    const routes = [route('/api/orders', 'https://o.example'), route('/api/users', 'https://u.example')];
    expect(findApiRoute(routes, '/api/orders/1')?.path).toBe('/api/orders');
    expect(findApiRoute(routes, '/api/users')?.path).toBe('/api/users');
    expect(findApiRoute(routes, '/api/ordersX')).toBeUndefined();
  });
});
