/**
 * The scheduled refresh (design.md step 4): find the sessions whose access token is due, using
 * Queries on the sharded refresh index, and refresh each with `grant_type=refresh_token`.
 *
 * - A rotated refresh token is stored; when none comes back the old one is kept.
 * - `invalid_grant` ends the session: the refresh token is dead, retrying cannot help.
 * - Other failures (5xx, timeouts) keep the tokens; the session stays due and the next tick retries.
 * - The token write is a compare-and-swap on `version`, so a refresher that lost a race never
 *   overwrites newer tokens.
 * - Expired sessions are never refreshed.
 */
import { type Clock, nowSeconds } from './clock.js';
import type { Config } from './config.js';
import { ConflictError, describeError } from './errors.js';
import type { Log } from './logger.js';
import { METRIC, type Meter } from './metrics.js';
import { type OAuthClient, TokenEndpointError } from './oauth.js';
import type { ClientSecretSource } from './secrets.js';
import type { Session, Store } from './store.js';

export interface RefreshDeps {
  readonly config: Pick<Config, 'refreshBeforeExpirySeconds'>;
  readonly store: Pick<Store, 'findSessionsDue' | 'updateSessionTokens' | 'endSession'>;
  readonly oauth: Pick<OAuthClient, 'refresh'>;
  readonly secrets: ClientSecretSource;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
  /** Refreshes in flight at once. */
  readonly concurrency?: number;
}

export interface RefreshSummary {
  /** Due sessions read from the index. */
  due: number;
  refreshed: number;
  /** Sessions ended because the AS said their refresh token is dead. */
  ended: number;
  /** Sessions left as they were after a transient failure or a lost race; retried next tick. */
  failed: number;
  /** Expired sessions read from the index and skipped. */
  skipped: number;
}

export function makeRefreshHandler({
  config,
  store,
  oauth,
  secrets,
  clock,
  meter,
  log,
  concurrency = 8,
}: RefreshDeps) {
  return async (): Promise<RefreshSummary> => {
    const now = nowSeconds(clock);
    const summary: RefreshSummary = { due: 0, refreshed: 0, ended: 0, failed: 0, skipped: 0 };

    const refreshOne = async (session: Session): Promise<void> => {
      if (session.expiresAt <= now || !session.refreshToken) {
        summary.skipped++;
        return;
      }
      try {
        const tokens = await oauth.refresh(session.refreshToken, await secrets.get());
        await store.updateSessionTokens(session.idHash, session.version, tokens, nowSeconds(clock));
        summary.refreshed++;
        meter.count(METRIC.refreshSucceeded);
      } catch (error) {
        if (error instanceof TokenEndpointError && error.kind === 'invalid_grant') {
          await store.endSession(session.idHash, nowSeconds(clock));
          summary.ended++;
          meter.count(METRIC.refreshFailed, 'invalid_grant');
          meter.count(METRIC.sessionEnded, 'invalid_grant');
          return;
        }
        summary.failed++;
        const reason =
          error instanceof TokenEndpointError
            ? error.kind
            : error instanceof ConflictError
              ? 'conflict'
              : 'error';
        meter.count(METRIC.refreshFailed, reason);
        log.warn('refresh failed', { reason, ...describeError(error) });
      }
    };

    // A small pool: bounded concurrency towards the AS, failures isolated per session.
    const inFlight = new Set<Promise<void>>();
    for await (const session of store.findSessionsDue(now + config.refreshBeforeExpirySeconds)) {
      summary.due++;
      const task: Promise<void> = refreshOne(session)
        .catch(() => {
          // Ending the session failed (a store error): leave it due for the next tick.
          summary.failed++;
          log.warn('refresh failed', { reason: 'store' });
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    log.info('refresh tick', { ...summary });
    return summary;
  };
}
