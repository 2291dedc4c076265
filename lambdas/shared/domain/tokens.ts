/** The tokens of a session and the rules about them, as plain data. */

/** The tokens of a session: stored only encrypted (checklist F19). */
export interface SessionTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly accessTokenExpiresAt?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
}

/**
 * When a session should next be refreshed: `beforeSeconds` ahead of its access token's expiry.
 * Undefined (not indexed) without a refresh token or a known expiry.
 */
export function refreshAtFor(tokens: SessionTokens, beforeSeconds: number): number | undefined {
  if (tokens.refreshToken === undefined || tokens.accessTokenExpiresAt === undefined) return undefined;
  return tokens.accessTokenExpiresAt - beforeSeconds;
}

/**
 * The tokens to store from a token response. On refresh, a refresh token or ID token the AS did
 * not send again is kept from `previous` (RFC 6749 6: the AS may not rotate the refresh token).
 */
export function sessionTokensFrom(response: SessionTokens, previous?: SessionTokens): SessionTokens {
  const refreshToken = response.refreshToken ?? previous?.refreshToken;
  const idToken = response.idToken ?? previous?.idToken;
  const scope = response.scope ?? previous?.scope;
  return {
    accessToken: response.accessToken,
    tokenType: response.tokenType,
    ...(response.accessTokenExpiresAt === undefined
      ? {}
      : { accessTokenExpiresAt: response.accessTokenExpiresAt }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(idToken === undefined ? {} : { idToken }),
    ...(scope === undefined ? {} : { scope }),
  };
}
