/**
 * Object-literal stand-ins for the flows' `Pick<>` dependencies (test/unit/flows): a clock the test
 * sets, a log and a secret source that record, events and sessions as plain data. No DynamoDB, no
 * network. The meter is production's own recorder (platform/metrics.ts `recordingMeter`).
 */
import type { Clock } from '../../lambdas/shared/domain/clock.js';
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import type { SessionTokens } from '../../lambdas/shared/domain/tokens.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import type { HttpEvent } from '../../lambdas/shared/http/responses.js';
import type { Log } from '../../lambdas/shared/platform/logger.js';
import type { ClientSecretSource } from '../../lambdas/shared/platform/secrets.js';
import type { Session } from '../../lambdas/shared/store/port.js';
import type { SealedValue } from '../../lambdas/shared/store/token-cipher.js';

/** Epoch seconds every unit test starts at. */
export const NOW = 1_750_000_000;

/** A clock at `seconds` (epoch seconds) that only moves when the test says. */
export function testClock(
  seconds: number = NOW,
): Clock & { set(seconds: number): void; advance(s: number): void } {
  let ms = seconds * 1000;
  const clock = () => ms;
  return Object.assign(clock, {
    set(s: number) {
      ms = s * 1000;
    },
    advance(s: number) {
      ms += s * 1000;
    },
  });
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: unknown;
  readonly extra: unknown[];
}

/** A log that keeps what was written, for asserting on levels and fields. */
export function recordingLog(): Log & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: unknown, ...extra: unknown[]) => {
      entries.push({ level, message, extra });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A secret source that answers `cached` normally and `fresh` when the cache is bypassed, and records which. */
export function recordingSecrets(
  cached = 'cached-secret',
  fresh = cached,
): ClientSecretSource & { readonly calls: ('cached' | 'fresh')[] } {
  const calls: ('cached' | 'fresh')[] = [];
  return {
    calls,
    async get(options) {
      calls.push(options?.forceFetch ? 'fresh' : 'cached');
      return options?.forceFetch ? fresh : cached;
    },
  };
}

/** An API Gateway v2 event with only what the flows read filled in. */
export function httpEvent(
  parts: {
    readonly rawQueryString?: string;
    readonly cookies?: readonly string[];
    readonly headers?: Record<string, string>;
  } = {},
): HttpEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: parts.rawQueryString ?? '',
    ...(parts.cookies ? { cookies: [...parts.cookies] } : {}),
    headers: parts.headers ?? {},
    isBase64Encoded: false,
    requestContext: {
      accountId: 'unit',
      apiId: 'unit',
      domainName: 'app.example',
      domainPrefix: 'app',
      http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unit' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: new Date(NOW * 1000).toISOString(),
      timeEpoch: NOW * 1000,
    },
  };
}

/** A session cookie value of the right shape, its event, and the key it maps to in the store. */
export function sessionCookie(prefix?: string) {
  const id = randomToken();
  const name = cookieNames(prefix).session;
  return {
    id,
    idHash: sha256(id),
    cookie: `${name}=${id}`,
    event: httpEvent({ cookies: [`${name}=${id}`] }),
  };
}

export const SEALED: SealedValue = { ciphertext: 'sealed-tokens', encryptedKey: 'sealed-key' };

/** A live, refreshable session (ends in an hour) as the store would return it. */
export function storedSession(overrides: Partial<Session> = {}): Session {
  return {
    idHash: sha256('session-id'),
    sub: 'alice',
    claims: { sub: 'alice', name: 'Alice' },
    createdAt: NOW - 600,
    expiresAt: NOW + 3600,
    version: 3,
    accessTokenExpiresAt: NOW + 1800,
    refreshable: true,
    refreshFailures: 0,
    sealedTokens: SEALED,
    ...overrides,
  };
}

/** The tokens a session holds; the access token is good for 30 minutes. */
export function sessionTokens(overrides: Partial<SessionTokens> = {}): SessionTokens {
  return {
    accessToken: 'at-1',
    tokenType: 'Bearer',
    accessTokenExpiresAt: NOW + 1800,
    refreshToken: 'rt-1',
    idToken: 'id-token-1',
    ...overrides,
  };
}
