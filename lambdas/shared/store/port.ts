import type { SessionTokens } from '../domain/tokens.js';
import type { SealedValue } from './token-cipher.js';

/**
 * The storage port. The flow logic depends on this interface only; store/dynamo-store.ts is the one
 * adapter. Times are epoch seconds.
 */

/** A login in progress, keyed by the hash of its `state`. */
export interface LoginTransaction {
  readonly stateHash: string;
  /** PKCE verifier: stays server-side, never in a URL, cookie, log or response (checklist B6). */
  readonly codeVerifier: string;
  readonly nonce?: string;
  /** sha256 of the browser-binding secret held in the `__Host-` login cookie. */
  readonly bindingHash: string;
  /** Validated same-origin path to return to after login. */
  readonly returnTo: string;
  /** The `max_age` sent (seconds): the ID token's `auth_time` is checked against it. */
  readonly maxAge?: number;
  /** The `acr_values` sent, space-separated: the ID token's `acr` must be one of them. */
  readonly acrValues?: string;
  /**
   * A silent login (`prompt=none`): when the AS answers that it needs the user, /redirect sends
   * the browser back to `returnTo` with `silent_login=<error>` instead of showing an error.
   */
  readonly silent?: boolean;
  /** Epoch seconds after which the transaction is dead, whatever TTL has or has not deleted. */
  readonly expiresAt: number;
}

/** What is stored about a session in the clear: identity and timing, never a token. */
export interface Session {
  /** sha256 of the session id in the cookie; the id itself is never stored. */
  readonly idHash: string;
  readonly sub?: string;
  /**
   * The `sid` of the ID token (the session at the authorization server): what a back-channel logout
   * names. Server-side only: neither /session nor the runtime library ever shows it.
   */
  readonly sid?: string;
  /** Identity claims from the ID token, for the app (never a token). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  /** End of the session (and its TTL). */
  readonly expiresAt: number;
  /** Bumped on every token write: the compare-and-swap guard for concurrent refreshers. */
  readonly version: number;
  /** When the access token expires, when the AS said. */
  readonly accessTokenExpiresAt?: number;
  /** Whether the session holds a refresh token. */
  readonly refreshable: boolean;
  /** Until when a refresher holds the lease on this session's refresh token. */
  readonly leaseUntil?: number;
  /** Consecutive transient refresh failures, for back-off. */
  readonly refreshFailures: number;
  /**
   * The tokens, encrypted (opaque to everything but `Store.openTokens`). Absent once the session
   * has ended (logged out, refresh token dead).
   */
  readonly sealedTokens?: SealedValue;
}

/** Most leases one `claimRefreshLeases` request claims (DynamoDB's BatchExecuteStatement takes 25). */
export const REFRESH_LEASE_BATCH = 25;

/** Proof of holding the refresh lease: the version it was claimed at and a random owner id. */
export interface RefreshLease {
  readonly version: number;
  readonly owner: string;
}

export interface Store {
  /** Writes a new transaction; one write. */
  putTransaction(tx: LoginTransaction): Promise<void>;
  /**
   * Deletes the transaction and returns what it held, atomically: of a replayed or concurrent
   * callback, exactly one caller gets the item, the others get `undefined` (checklist A4).
   */
  consumeTransaction(stateHash: string): Promise<LoginTransaction | undefined>;
  /**
   * Writes a new session with its tokens encrypted; fails rather than overwrite an existing one.
   * With `refreshAt` (epoch seconds) the session enters the refresh index, due at that time.
   */
  createSession(
    session: Omit<Session, 'refreshable' | 'sealedTokens' | 'refreshFailures'>,
    tokens: SessionTokens,
    refreshAt?: number,
  ): Promise<void>;
  /** The session's clear-text part; tokens stay encrypted until `openTokens`. */
  getSession(idHash: string): Promise<Session | undefined>;
  /** Decrypts a session's tokens; throws for an ended session or a ciphertext that is not this session's. */
  openTokens(session: Session): Promise<SessionTokens>;
  /** Deletes a session and returns what it held (one call; its tokens still sealed), or undefined. */
  deleteSession(idHash: string): Promise<Session | undefined>;
  /**
   * Sessions whose `refreshAt` has come by `dueBy` (access token due, or back-off over), read from
   * the sharded refresh index with Queries, never a Scan. At most `limit`.
   */
  findSessionsDue(dueBy: number, options?: { readonly limit?: number }): AsyncIterable<Session>;
  /**
   * Claims the refresh lease with a conditional write: succeeds only if the session is still at
   * `version`, active, and no unexpired lease is held. Returns the lease, or undefined when lost.
   */
  claimRefreshLease(
    idHash: string,
    version: number,
    leaseUntil: number,
    now: number,
  ): Promise<RefreshLease | undefined>;
  /**
   * Claims the leases of several sessions in one request, each with exactly the condition of
   * `claimRefreshLease` and each independently: one session lost to another refresher does not
   * stop the others. Returns the leases won, by session id hash; at most REFRESH_LEASE_BATCH.
   */
  claimRefreshLeases(
    candidates: readonly { readonly idHash: string; readonly version: number }[],
    leaseUntil: number,
    now: number,
  ): Promise<ReadonlyMap<string, RefreshLease>>;
  /**
   * Stores refreshed tokens and releases the lease, if the lease is still ours (compare-and-swap on
   * version and owner); throws ConflictError otherwise. `tokens` is the full new set: the caller
   * keeps the old refresh token when the AS returned none (RFC 6749 6). `refreshAt` re-indexes the
   * session for its next refresh; without it the session leaves the index. `expiresAt` moves the
   * session's end (and TTL), e.g. to a refresh token's new end.
   */
  updateSessionTokens(
    idHash: string,
    lease: RefreshLease,
    tokens: SessionTokens,
    at: { readonly now: number; readonly refreshAt?: number; readonly expiresAt?: number },
  ): Promise<void>;
  /** Releases the lease without new tokens and moves the next attempt to `retryAt` (back-off). */
  deferRefresh(idHash: string, lease: RefreshLease, retryAt: number, failures: number): Promise<void>;
  /**
   * Ends a session without deleting it: removes its tokens and its refresh index entry and marks
   * it expired, so it can never be used or refreshed again and TTL removes it later.
   */
  endSession(idHash: string, now: number): Promise<void>;
  /**
   * The sessions of `sub` (ID token subject), by the sparse subject index: one Query, never a
   * Scan. With `sid`, only those whose ID token carried that `sid`. Ended sessions may be among
   * them until TTL removes them; `endLiveSession` tells.
   */
  findSessionsOfSubject(sub: string, options?: { readonly sid?: string }): Promise<readonly string[]>;
  /**
   * Ends a session like `endSession`, but only while it is live (still holds its tokens) and, with
   * `sub`, belongs to that subject. Returns whether this call ended it.
   */
  endLiveSession(idHash: string, now: number, options?: { readonly sub?: string }): Promise<boolean>;
  /**
   * Records the `jti` (hashed) of an accepted back-channel logout token until `expiresAt`, with a
   * conditional write: returns false, writing nothing, when it was recorded before (a replay).
   */
  rememberLogoutToken(jtiHash: string, expiresAt: number): Promise<boolean>;
}
