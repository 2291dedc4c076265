/**
 * Token refresh (README "Tokens and refresh", checklist G21-G24, J30).
 *
 * `refreshSession` is the only code that spends a refresh token, for the scheduled tick and for
 * on-demand refresh alike. It is single-flight across any number of refreshers:
 * 1. claim a lease with a conditional write: only a refresher that read the current version, on a
 *    live session with no running lease, wins; every other one spends nothing;
 * 2. the lease outlives the outbound HTTP timeouts, so it cannot lapse while its holder waits on
 *    the AS;
 * 3. the new tokens are written with a compare-and-swap on version and lease owner.
 * Failures (refresh-policy.ts decides, in one table): `invalid_grant` and any other refusal (4xx
 * but 401, 408, 429) end the session after one attempt; `invalid_client`, 5xx, 408, 429, timeouts
 * and other transient failures keep the tokens and move the next attempt back (exponential, at
 * least what `Retry-After` asks). A crash between the AS's answer and the write leaves a lease that
 * lapses; the next attempt presents the spent refresh token and, with a rotating AS, gets
 * `invalid_grant` and ends the session cleanly.
 */
import type { Context } from 'aws-lambda';
import { METRIC } from '../definitions/metric-names.js';
import { type Clock, nowSeconds } from '../domain/clock.js';
import { ConflictError, describeError, TokenEndpointError } from '../domain/errors.js';
import {
  backoffSeconds,
  leaseSeconds,
  refreshFailureAction,
  sessionEndAfter,
} from '../domain/refresh-policy.js';
import { refreshAtFor, type SessionTokens, sessionTokensFrom } from '../domain/tokens.js';
import type { OAuthClient, TokenSet } from '../oauth/client.js';
import type { Config } from '../platform/config.js';
import type { Log } from '../platform/logger.js';
import type { Meter } from '../platform/metrics.js';
import type { ClientSecretSource } from '../platform/secrets.js';
import { REFRESH_LEASE_BATCH, type RefreshLease, type Session, type Store } from '../store/port.js';
import { withFreshSecretOnce } from './with-fresh-secret.js';

/** What every refresh needs but its store. */
interface RefreshBaseDeps {
  readonly config: Pick<
    Config,
    | 'refreshBeforeExpirySeconds'
    | 'httpTimeoutMs'
    | 'refreshConcurrency'
    | 'refreshMaxPerTick'
    | 'sessionDurationSeconds'
  >;
  readonly oauth: Pick<OAuthClient, 'refresh'>;
  readonly secrets: ClientSecretSource;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
}

/** The store operations of one refresh under its lease, whoever claimed it (refreshWithLease). */
type LeasedRefreshOperation = 'openTokens' | 'updateSessionTokens' | 'deferRefresh' | 'endSession';

/** One refresh under its lease. */
interface LeasedRefreshDeps extends RefreshBaseDeps {
  readonly store: Pick<Store, LeasedRefreshOperation>;
}

/**
 * The scheduled tick (makeRefreshHandler): reads the due sessions from the index and claims their
 * leases in batches, never one by one and never by key.
 */
export interface RefreshDeps extends RefreshBaseDeps {
  readonly store: Pick<Store, LeasedRefreshOperation | 'findSessionsDue' | 'claimRefreshLeases'>;
}

/**
 * A refresh on demand (freshTokens, refreshSession: the API proxy and the runtime library): claims
 * one session's lease, and reads the session again while another refresher holds it.
 */
export interface OnDemandRefreshDeps extends RefreshBaseDeps {
  readonly store: Pick<Store, LeasedRefreshOperation | 'claimRefreshLease' | 'getSession'>;
}

export type RefreshOutcome =
  | { readonly kind: 'refreshed'; readonly tokens: SessionTokens }
  /** Another refresher holds the lease or already moved the session on: nothing was spent. */
  | { readonly kind: 'busy' }
  /** The session is over (refresh token dead, or the session expired). */
  | { readonly kind: 'ended'; readonly reason: string }
  /** A transient failure: tokens kept, next attempt not before `retryAt`. */
  | { readonly kind: 'deferred'; readonly reason: string; readonly retryAt: number }
  /** Nothing to refresh (no refresh token, already ended). */
  | { readonly kind: 'skipped' };

/** Refreshes one session, single-flight. Never throws for an AS failure; store failures propagate. */
export async function refreshSession(deps: OnDemandRefreshDeps, session: Session): Promise<RefreshOutcome> {
  const before = await beforeClaim(deps, session);
  if (before) return before;
  const now = nowSeconds(deps.clock);
  const lease = await deps.store.claimRefreshLease(
    session.idHash,
    session.version,
    now + leaseSeconds(deps.config.httpTimeoutMs),
    now,
  );
  if (!lease) return { kind: 'busy' };
  return refreshWithLease(deps, session, lease);
}

/** What needs no lease: nothing to refresh, or a session past its end (ended, never refreshed: G24). */
async function beforeClaim(deps: LeasedRefreshDeps, session: Session): Promise<RefreshOutcome | undefined> {
  const now = nowSeconds(deps.clock);
  if (!session.sealedTokens || !session.refreshable) return { kind: 'skipped' };
  if (session.expiresAt <= now) {
    // Take it out of the index so no tick reads it again.
    await deps.store.endSession(session.idHash, now);
    deps.meter.count(METRIC.sessionEnded, 'expired');
    return { kind: 'ended', reason: 'expired' };
  }
  return undefined;
}

/** Spends the refresh token of a session whose lease this refresher holds, and stores the result. */
async function refreshWithLease(
  deps: LeasedRefreshDeps,
  session: Session,
  lease: RefreshLease,
): Promise<RefreshOutcome> {
  const { config, store, oauth, secrets, clock, meter, log } = deps;
  const tokens = await store.openTokens(session);
  let response: TokenSet;
  try {
    if (!tokens.refreshToken) throw new TokenEndpointError('invalid_grant');
    const refreshToken = tokens.refreshToken;
    response = await withFreshSecretOnce(secrets, log, (clientSecret) =>
      oauth.refresh(refreshToken, clientSecret),
    );
  } catch (error) {
    const failure = error instanceof TokenEndpointError ? error : undefined;
    const decision = refreshFailureAction(failure?.kind);
    if (decision.action === 'end') {
      await store.endSession(session.idHash, nowSeconds(clock));
      meter.count(METRIC.refreshFailed, decision.reason);
      meter.count(METRIC.sessionEnded, decision.reason);
      log.info('session ended: refresh token refused', { reason: decision.reason, status: failure?.status });
      return { kind: 'ended', reason: decision.reason };
    }
    const reason = decision.reason;
    const failures = session.refreshFailures + 1;
    const retryAt = nowSeconds(clock) + backoffSeconds(failures, failure?.retryAfterSeconds);
    await store.deferRefresh(session.idHash, lease, retryAt, failures);
    meter.count(METRIC.refreshFailed, reason);
    log.warn('refresh failed; backing off', { reason, failures, ...describeError(error) });
    return { kind: 'deferred', reason, retryAt };
  }

  const next = sessionTokensFrom(response, tokens);
  try {
    const refreshAt = refreshAtFor(next, config.refreshBeforeExpirySeconds);
    const expiresAt = sessionEndAfter(session, config.sessionDurationSeconds, response.refreshTokenExpiresAt);
    await store.updateSessionTokens(session.idHash, lease, next, {
      now: nowSeconds(clock),
      // Only a new end is written: an unchanged attribute is a write for nothing.
      ...(expiresAt === session.expiresAt ? {} : { expiresAt }),
      ...(refreshAt === undefined ? {} : { refreshAt }),
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Only possible when the lease lapsed (the AS answered after the lease time) or the session
    // ended meanwhile. The new tokens are dropped; with a rotating AS the next attempt ends the session.
    meter.count(METRIC.refreshFailed, 'lease_lost');
    log.error('refreshed tokens could not be stored: lease lost');
    return { kind: 'busy' };
  }
  meter.count(METRIC.refreshSucceeded);
  return { kind: 'refreshed', tokens: next };
}

export interface RefreshSummary {
  /** Due sessions read from the index. */
  due: number;
  refreshed: number;
  /** Sessions ended: refresh token dead, or the session expired. */
  ended: number;
  /** Sessions left for later after a transient failure (tokens kept, backed off). */
  deferred: number;
  /** Sessions another refresher was already handling. */
  busy: number;
  /** Sessions that failed on our side (a store error); retried next tick. */
  failed: number;
  skipped: number;
  /** True when the tick stopped early (session cap or time budget); the rest wait for the next tick. */
  truncated: boolean;
}

/**
 * The scheduled tick: reads only due sessions (Queries on the sharded index), at most
 * `refreshMaxPerTick` of them, refreshes with bounded concurrency, isolates failures per session,
 * and stops starting new work when the invocation's time runs short.
 */
export function makeRefreshHandler(deps: RefreshDeps) {
  const { config, clock, log } = deps;
  return async (
    _event?: unknown,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<RefreshSummary> => {
    const summary: RefreshSummary = {
      due: 0,
      refreshed: 0,
      ended: 0,
      deferred: 0,
      busy: 0,
      failed: 0,
      skipped: 0,
      truncated: false,
    };
    // Stop starting refreshes while a started one can still finish: one lease's worth of margin.
    const margin = leaseSeconds(config.httpTimeoutMs) * 1000;
    const timeLeft = () => (context ? context.getRemainingTimeInMillis() - margin : Number.POSITIVE_INFINITY);

    const tally = (outcome: RefreshOutcome) => {
      if (outcome.kind === 'refreshed') summary.refreshed++;
      else if (outcome.kind === 'ended') summary.ended++;
      else if (outcome.kind === 'deferred') summary.deferred++;
      else if (outcome.kind === 'busy') summary.busy++;
      else summary.skipped++;
    };
    const failed = (count: number, error: unknown) => {
      summary.failed += count;
      log.error('refresh failed on our side', describeError(error));
    };

    // `refreshConcurrency` workers spend the leases one generator claims in batches; an async
    // generator serialises its callers, so the workers share it safely.
    const leaseLength = leaseSeconds(config.httpTimeoutMs);
    const leased = leasedSessions(deps, { tally, failed, timeLeft, summary });
    const worker = async () => {
      for (let next = await leased.next(); !next.done; next = await leased.next()) {
        const { session, lease, leaseUntil } = next.value;
        // A lease that waited for a worker longer than one outbound timeout could lapse during the
        // refresh: leave the session to the next tick instead.
        if (leaseUntil - nowSeconds(clock) < leaseLength - Math.ceil(config.httpTimeoutMs / 1000)) {
          summary.busy++;
          continue;
        }
        await refreshWithLease(deps, session, lease).then(tally, (error: unknown) => failed(1, error));
      }
    };
    await Promise.all(Array.from({ length: config.refreshConcurrency }, worker));
    if (summary.due >= config.refreshMaxPerTick) summary.truncated = true;
    log.info('refresh tick', { ...summary });
    return summary;
  };
}

/**
 * The tick's due sessions with their leases: read from the index, those needing no lease settled
 * on the way (nothing to refresh, expired), the rest claimed in batches of up to
 * REFRESH_LEASE_BATCH with one request each. A session another refresher holds is counted busy.
 * The next batch is read and claimed while this one is handed out, so the workers never wait for
 * a claim at a batch boundary; at most two batches are claimed ahead of their workers.
 */
async function* leasedSessions(
  deps: RefreshDeps,
  tick: {
    readonly tally: (outcome: RefreshOutcome) => void;
    readonly failed: (count: number, error: unknown) => void;
    readonly timeLeft: () => number;
    readonly summary: RefreshSummary;
  },
): AsyncGenerator<{ session: Session; lease: RefreshLease; leaseUntil: number }> {
  const { config, store, clock } = deps;
  const batchSize = Math.min(REFRESH_LEASE_BATCH, config.refreshConcurrency);
  const due = store
    .findSessionsDue(nowSeconds(clock), { limit: config.refreshMaxPerTick })
    [Symbol.asyncIterator]();
  let exhausted = false;

  const nextBatch = async () => {
    const batch: Session[] = [];
    while (batch.length < batchSize && !exhausted) {
      if (tick.timeLeft() <= 0) {
        tick.summary.truncated = true;
        exhausted = true;
        break;
      }
      const next = await due.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      tick.summary.due++;
      let settled: RefreshOutcome | undefined;
      try {
        settled = await beforeClaim(deps, next.value);
      } catch (error) {
        tick.failed(1, error);
        continue;
      }
      if (settled) tick.tally(settled);
      else batch.push(next.value);
    }
    const claimed: { session: Session; lease: RefreshLease; leaseUntil: number }[] = [];
    if (batch.length === 0) return claimed;
    const now = nowSeconds(clock);
    const leaseUntil = now + leaseSeconds(config.httpTimeoutMs);
    try {
      const leases = await store.claimRefreshLeases(batch, leaseUntil, now);
      for (const session of batch) {
        const lease = leases.get(session.idHash);
        if (lease) claimed.push({ session, lease, leaseUntil });
        else tick.summary.busy++;
      }
    } catch (error) {
      tick.failed(batch.length, error);
    }
    return claimed;
  };

  let pending = nextBatch();
  for (;;) {
    const claimed = await pending;
    if (exhausted && claimed.length === 0) return;
    pending = exhausted ? Promise.resolve([]) : nextBatch();
    // A failure of the read ahead (the index Query) surfaces when it is awaited, not before.
    pending.catch(() => {});
    yield* claimed;
  }
}

/**
 * Tokens for a request of the embedding app: refreshed on demand, through the same single-flight
 * path, when the access token expires within `skewSeconds`. When another refresher holds the
 * lease, waits for its result instead of spending the refresh token again. Returns undefined when
 * the session has ended or no usable access token can be had.
 */
export async function freshTokens(
  deps: OnDemandRefreshDeps,
  session: Session,
  options: { readonly skewSeconds?: number; readonly waitMs?: number } = {},
): Promise<SessionTokens | undefined> {
  const skew = options.skewSeconds ?? 60;
  const deadline = deps.clock() + (options.waitMs ?? 5000);
  let current: Session | undefined = session;
  for (let attempt = 0; current?.sealedTokens; attempt++) {
    const now = nowSeconds(deps.clock);
    if (current.expiresAt <= now) return undefined;
    const tokens = await deps.store.openTokens(current);
    const expiresAt = tokens.accessTokenExpiresAt;
    if (expiresAt === undefined || expiresAt - skew > now) return tokens;
    // Within the skew: a token that has not expired yet still serves when it cannot be refreshed;
    // an expired one never does (README "Tokens and refresh").
    // The clock is read again: a failed refresh may have taken seconds.
    const stillValid = () => usable(tokens, nowSeconds(deps.clock));
    if (!current.refreshable) return stillValid();

    const outcome = await refreshSession(deps, current);
    if (outcome.kind === 'refreshed') return usable(outcome.tokens, nowSeconds(deps.clock));
    if (outcome.kind === 'ended') return undefined;
    if (outcome.kind === 'deferred' || deps.clock() >= deadline) return stillValid();
    // Busy: someone else is refreshing. Wait a little and read what they wrote.
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
    current = await deps.store.getSession(current.idHash);
  }
  return undefined;
}

/** The tokens, unless their access token has already expired (an AS answering `expires_in: 0`). */
function usable(tokens: SessionTokens, now: number): SessionTokens | undefined {
  return tokens.accessTokenExpiresAt === undefined || tokens.accessTokenExpiresAt > now ? tokens : undefined;
}
