/**
 * The storage port. The flow logic depends on this interface only; dynamo-store.ts is the one
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
  /** Epoch seconds after which the transaction is dead, whatever TTL has or has not deleted. */
  readonly expiresAt: number;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly accessTokenExpiresAt?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
}

export interface Session extends SessionTokens {
  /** sha256 of the session id in the cookie; the id itself is never stored. */
  readonly idHash: string;
  readonly sub?: string;
  /** Identity claims from the ID token, for the app (never a token). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  /** End of the session (and its TTL). */
  readonly expiresAt: number;
  /** Bumped on every token write: the compare-and-swap guard for concurrent refreshers. */
  readonly version: number;
}

export interface Store {
  /** Writes a new transaction; one write. */
  putTransaction(tx: LoginTransaction): Promise<void>;
  /**
   * Deletes the transaction and returns what it held, atomically: of a replayed or concurrent
   * callback, exactly one caller gets the item, the others get `undefined` (checklist A4).
   */
  consumeTransaction(stateHash: string): Promise<LoginTransaction | undefined>;
  /** Writes a new session; fails rather than overwrite an existing one. */
  createSession(session: Session): Promise<void>;
  getSession(idHash: string): Promise<Session | undefined>;
  /** Deletes a session and returns what it held (one call), or undefined when there was none. */
  deleteSession(idHash: string): Promise<Session | undefined>;
  /**
   * Sessions holding a refresh token whose access token expires at or before `dueBy`, read from
   * the sharded refresh index with Queries, never a Scan.
   */
  findSessionsDue(dueBy: number, options?: { readonly pageSize?: number }): AsyncIterable<Session>;
  /**
   * Replaces the tokens if the session is still at `expectedVersion`; throws ConflictError when
   * another writer got there first or the session is gone. A missing refresh token in `tokens`
   * keeps the stored one (RFC 6749 6: the AS may not rotate it).
   */
  updateSessionTokens(
    idHash: string,
    expectedVersion: number,
    tokens: SessionTokens,
    now: number,
  ): Promise<void>;
  /**
   * Ends a session without deleting it: removes its tokens and its refresh index entry and marks
   * it expired, so it can never be used or refreshed again and TTL removes it later.
   */
  endSession(idHash: string, now: number): Promise<void>;
}
