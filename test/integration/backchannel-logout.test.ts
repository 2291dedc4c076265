/**
 * POST /backchannel-logout (OIDC Back-Channel Logout 1.0, checklist J31) through the real handlers,
 * DynamoDB Local and oidc-provider with its back-channel logout feature on: ending the session at
 * the AS ends the backend's; forged tokens, signed here with jose, end nothing and get 400.
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_PREFIX, TABLE_SCHEMA } from '../../lambdas/shared/definitions/table-schema.js';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import { makeSessionAccess } from '../../lambdas/shared/flows/session-access.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../lambdas/shared/oauth/logout-token.js';
import { endSessionAtAs } from '../support/as-logout.js';
import { type CookieJar, jarFetch } from '../support/cookie-jar.js';
import { type Harness, startHarness } from '../support/harness.js';

const EVENTS = { [BACKCHANNEL_LOGOUT_EVENT]: {} };

describe('POST /backchannel-logout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const session = (jar: CookieJar) => jarFetch(jar, `${h.url}/session`);
  const post = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    fetch(h.backchannelLogoutUri, { method: 'POST', headers: { 'content-type': contentType }, body });
  const form = (token: string) => new URLSearchParams({ logout_token: token }).toString();
  const now = () => Math.floor(Date.now() / 1000);

  /** A logout token as the AS would sign it, with `claims` replacing or (undefined) removing its defaults. */
  async function sign(
    claims: Record<string, unknown>,
    options: { key?: JsonWebKey; alg?: string; typ?: string | null } = {},
  ): Promise<string> {
    const defaults: Record<string, unknown> = {
      iss: h.as.issuer,
      aud: 'test-client',
      iat: now(),
      exp: now() + 120,
      jti: crypto.randomUUID(),
      events: EVENTS,
    };
    const payload = Object.fromEntries(
      Object.entries({ ...defaults, ...claims }).filter(([, v]) => v !== undefined),
    ) as JWTPayload;
    const alg = options.alg ?? 'RS256';
    const header = { alg, kid: 'dev', ...(options.typ === null ? {} : { typ: options.typ ?? 'logout+jwt' }) };
    return new SignJWT(payload)
      .setProtectedHeader(header)
      .sign(await importJWK({ ...(options.key ?? h.signingKey), alg } as never, alg));
  }

  it('keeps the ID token sid server-side, never in /session', async () => {
    const { jar, sessionId } = await h.login();
    const stored = await h.sessionOf(sessionId);
    expect(stored?.sid).toEqual(expect.any(String));
    const body = await (await session(jar)).text();
    expect(body).not.toContain(stored?.sid ?? '?');
    expect(JSON.parse(body)).not.toHaveProperty('sid');
    expect(JSON.parse(body).claims).not.toHaveProperty('sid');
  });

  it('ends the backend session when the session ends at the authorization server', async () => {
    const delivered = h.as.stats.backchannel.delivered;
    const { jar, sessionId } = await h.login();
    const other = await h.login(undefined, { user: 'bob' });
    expect((await session(jar)).status).toBe(200);
    const before = h.deps.meter.counts.get('SessionEnded:backchannel') ?? 0;

    await endSessionAtAs(jar, h.as.issuer);

    expect(h.as.stats.backchannel.delivered).toBe(delivered + 1);
    expect(h.as.stats.backchannel.failed).toBe(0);
    expect((await session(jar)).status).toBe(401);
    const stored = await h.sessionOf(sessionId);
    expect(stored?.sealedTokens).toBeUndefined();
    expect(await h.tokensOf(sessionId)).toBeUndefined();
    // Out of the refresh index: no tick ever refreshes it again.
    const due: string[] = [];
    for await (const s of h.store.findSessionsDue(now() + 10 * 365 * 86_400)) due.push(s.idHash);
    expect(due).not.toContain(stored?.idHash);
    // The runtime library sees no session either.
    const access = makeSessionAccess(h.deps);
    const cookieEvent = { headers: { cookie: `__Host-bff-session=${sessionId}` } };
    expect(await access.getSession(cookieEvent)).toBeUndefined();
    expect(await access.getAccessToken(cookieEvent)).toBeUndefined();
    expect(h.deps.meter.counts.get('SessionEnded:backchannel')).toBe(before + 1);
    // Another user's session is untouched.
    expect((await session(other.jar)).status).toBe(200);
  });

  it('with sid, ends only the sessions of that AS session; with only sub, every session of the user', async () => {
    const a = await h.login(undefined, { user: 'carol' });
    const b = await h.login(undefined, { user: 'carol' });
    const dave = await h.login(undefined, { user: 'dave' });
    const sidA = (await h.sessionOf(a.sessionId))?.sid;
    expect(sidA).toBeDefined();
    expect((await h.sessionOf(b.sessionId))?.sid).not.toBe(sidA);

    const bySid = await post(form(await sign({ sub: 'carol', sid: sidA })));
    expect(bySid.status).toBe(200);
    expect(bySid.headers.get('cache-control')).toBe('no-store');
    expect((await session(a.jar)).status).toBe(401);
    expect((await session(b.jar)).status).toBe(200);

    expect((await post(form(await sign({ sub: 'carol' })))).status).toBe(200);
    expect((await session(b.jar)).status).toBe(401);
    expect((await session(dave.jar)).status).toBe(200);
  });

  it('answers 200 for a valid token that matches no session, and for one whose sessions already ended', async () => {
    const response = await post(form(await sign({ sub: 'nobody', sid: 'no-such-session' })));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('accepts a token without typ (older providers)', async () => {
    const { jar } = await h.login(undefined, { user: 'erin' });
    expect((await post(form(await sign({ sub: 'erin' }, { typ: null })))).status).toBe(200);
    expect((await session(jar)).status).toBe(401);
  });

  describe('refuses, with 400 {"error":"invalid_request"} and nothing ended', () => {
    let victim: { jar: CookieJar; sessionId: string };
    let sid: string;
    beforeAll(async () => {
      victim = await h.login(undefined, { user: 'victim' });
      sid = (await h.sessionOf(victim.sessionId))?.sid ?? '';
      expect(sid).not.toBe('');
    });
    const target = () => ({ sub: 'victim', sid });
    const otherKey = () =>
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const unsigned = (payload: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url')}.${Buffer.from(
        JSON.stringify(payload),
      ).toString('base64url')}.`;

    const cases: [string, () => Promise<string>][] = [
      [
        'a wrong signature (another key, the AS kid)',
        async () => form(await sign(target(), { key: otherKey() })),
      ],
      [
        'alg none',
        async () =>
          form(
            unsigned({
              iss: h.as.issuer,
              aud: 'test-client',
              iat: now(),
              jti: crypto.randomUUID(),
              events: EVENTS,
              ...target(),
            }),
          ),
      ],
      [
        'alg HS256 with the AS public key as the secret',
        async () => {
          const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = h.signingKey;
          const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
          const payload = {
            iss: h.as.issuer,
            aud: 'test-client',
            iat: now(),
            jti: crypto.randomUUID(),
            events: EVENTS,
            ...target(),
          };
          return form(
            await new SignJWT(payload)
              .setProtectedHeader({ alg: 'HS256', kid: 'dev', typ: 'logout+jwt' })
              .sign(secret),
          );
        },
      ],
      ['a wrong iss', async () => form(await sign({ ...target(), iss: 'https://evil.example' }))],
      ['a wrong aud', async () => form(await sign({ ...target(), aud: 'another-client' }))],
      ['no events', async () => form(await sign({ ...target(), events: undefined }))],
      [
        'events without the logout event',
        async () => form(await sign({ ...target(), events: { other: {} } })),
      ],
      [
        'a logout event that is not an object',
        async () => form(await sign({ ...target(), events: { [BACKCHANNEL_LOGOUT_EVENT]: null } })),
      ],
      ['a nonce', async () => form(await sign({ ...target(), nonce: 'n-0S6_WzA2Mj' }))],
      ['a stale iat', async () => form(await sign({ ...target(), iat: now() - 3600, exp: now() + 60 }))],
      ['an iat in the future', async () => form(await sign({ ...target(), iat: now() + 3600 }))],
      ['no iat', async () => form(await sign({ ...target(), iat: undefined }))],
      ['an expired exp', async () => form(await sign({ ...target(), iat: now() - 100, exp: now() - 90 }))],
      ['no jti', async () => form(await sign({ ...target(), jti: undefined }))],
      ['neither sid nor sub', async () => form(await sign({}))],
      ['sid without sub', async () => form(await sign({ sid }))],
      ['another typ (an access token)', async () => form(await sign(target(), { typ: 'at+jwt' }))],
      ['not a JWT', async () => form('not-a-jwt')],
      [
        'an ID token shape with a garbage signature',
        async () => form(`${(await sign(target())).split('.').slice(0, 2).join('.')}.AAAA`),
      ],
      ['no logout_token', async () => 'other=1'],
      ['an empty logout_token', async () => form('')],
      ['a repeated logout_token', async () => `${form(await sign(target()))}&${form(await sign(target()))}`],
      ['an oversized body', async () => form(`${await sign(target())}${'A'.repeat(64 * 1024)}`)],
      ['malformed percent-encoding', async () => 'logout_token=%E0%A4%A'],
    ];

    it.each(cases)('%s', async (_name, body) => {
      const response = await post(await body());
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ error: 'invalid_request' });
      expect((await session(victim.jar)).status).toBe(200);
    });

    it('a body over API Gateway’s 10 MB: 413 from the API itself (the local stack plays API Gateway)', async () => {
      const response = await post(`logout_token=${'A'.repeat(10 * 1024 * 1024 + 1)}`);
      expect(response.status).toBe(413);
      expect((await session(victim.jar)).status).toBe(200);
    });

    it('a wrong content type', async () => {
      const response = await post(JSON.stringify({ logout_token: await sign(target()) }), 'application/json');
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_request' });
      expect((await session(victim.jar)).status).toBe(200);
    });

    it('a replayed jti: the second delivery is refused (and ends nothing new)', async () => {
      const bystander = await h.login(undefined, { user: 'frank' });
      const token = await sign({ sub: 'frank', sid: 'an-old-as-session' });
      expect((await post(form(token))).status).toBe(200);
      const response = await post(form(token));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_request' });
      expect((await session(bystander.jar)).status).toBe(200);
      // Even with only sub (which would end every session of the user), a replay ends nothing.
      const subOnly = await sign({ sub: 'frank', jti: 'replay-me' });
      const late = await h.login(undefined, { user: 'frank' });
      await post(form(subOnly));
      expect((await session(late.jar)).status).toBe(401);
      const later = await h.login(undefined, { user: 'frank' });
      expect((await post(form(subOnly))).status).toBe(400);
      expect((await session(later.jar)).status).toBe(200);
    });

    it('writes nothing for a refused token: no jti is recorded', async () => {
      const token = await sign({ ...target(), aud: 'another-client', jti: 'never-recorded' });
      expect((await post(form(token))).status).toBe(400);
      const { Item } = await h.dynamo.send(
        new GetItemCommand({
          TableName: h.tableName,
          Key: {
            [TABLE_SCHEMA.partitionKey.name]: { S: `${KEY_PREFIX.logoutToken}${sha256('never-recorded')}` },
          },
          ConsistentRead: true,
        }),
      );
      expect(Item).toBeUndefined();
      // The same check sees an accepted token's jti.
      expect((await post(form(await sign({ sub: 'nobody', jti: 'recorded' })))).status).toBe(200);
      const recorded = await h.dynamo.send(
        new GetItemCommand({
          TableName: h.tableName,
          Key: { [TABLE_SCHEMA.partitionKey.name]: { S: `${KEY_PREFIX.logoutToken}${sha256('recorded')}` } },
          ConsistentRead: true,
        }),
      );
      expect(recorded.Item?.[TABLE_SCHEMA.timeToLiveAttribute]?.N).toEqual(expect.any(String));
    });
  });
});
