/**
 * How a session is laid out as a DynamoDB item (store/dynamo-store.ts reads and writes it): its
 * attribute names, its refresh-index entry, the mapping back to a Session, and the update that
 * stores refreshed tokens. Plain data, no I/O.
 */
import { KEY_PREFIX, TABLE_SCHEMA } from '../definitions/table-schema.js';
import type { SessionTokens } from '../domain/tokens.js';
import type { RefreshLease, Session } from './port.js';
import type { SealedValue } from './token-cipher.js';

export const PK = TABLE_SCHEMA.partitionKey.name;
export const TTL = TABLE_SCHEMA.timeToLiveAttribute;
export const SHARD = TABLE_SCHEMA.refreshIndex.partitionKey.name;
export const DUE = TABLE_SCHEMA.refreshIndex.sortKey.name;
export const SUB = TABLE_SCHEMA.subjectIndex.partitionKey.name;
export const SID = 'sid';

/** Which refresh-index shard a session lives in: spread evenly by its (random) id hash. */
export function refreshShardOf(idHash: string): string {
  const firstByte = Buffer.from(idHash, 'base64url')[0] ?? 0;
  return `shard#${firstByte % TABLE_SCHEMA.refreshShards}`;
}

/** Attribute names of the encrypted token blob and its encrypted data key. */
export const SEALED = { tokens: 'tokens', tokenKey: 'tokenKey' } as const;

export const aadFor = (idHash: string) => `session:${idHash}`;

export function sealedOf(item: Record<string, unknown>): SealedValue | undefined {
  const ciphertext = item[SEALED.tokens];
  const encryptedKey = item[SEALED.tokenKey];
  return typeof ciphertext === 'string' && typeof encryptedKey === 'string'
    ? { ciphertext, encryptedKey }
    : undefined;
}

/** The sparse refresh-index attributes: only sessions with a next refresh time are indexed. */
export function refreshIndexEntry(
  idHash: string,
  refreshAt: number | undefined,
): Record<string, string | number> {
  if (refreshAt === undefined) return {};
  return { [SHARD]: refreshShardOf(idHash), [DUE]: refreshAt };
}

export function fromItem(item: Record<string, unknown>): Session {
  const num = (name: string) => (typeof item[name] === 'number' ? (item[name] as number) : undefined);
  const sub = typeof item[SUB] === 'string' ? (item[SUB] as string) : undefined;
  const sid = typeof item[SID] === 'string' ? (item[SID] as string) : undefined;
  const accessTokenExpiresAt = num('accessTokenExpiresAt');
  const leaseUntil = num('leaseUntil');
  const sealedTokens = sealedOf(item);
  return {
    idHash: String(item[PK]).slice(KEY_PREFIX.session.length),
    ...(sub === undefined ? {} : { sub }),
    ...(sid === undefined ? {} : { sid }),
    claims: (item.claims as Record<string, unknown> | undefined) ?? {},
    createdAt: num('createdAt') ?? 0,
    expiresAt: num(TTL) ?? 0,
    version: num('version') ?? 0,
    ...(accessTokenExpiresAt === undefined ? {} : { accessTokenExpiresAt }),
    refreshable: item.hasRefreshToken === true,
    ...(leaseUntil === undefined ? {} : { leaseUntil }),
    refreshFailures: num('refreshFailures') ?? 0,
    ...(sealedTokens ? { sealedTokens } : {}),
  };
}

/**
 * The update expression that stores refreshed tokens: a new version, the sealed tokens, the
 * access token's expiry and the refresh-index entry that follows it, the lease released, and
 * (when given) the session's new end. Its condition is the caller's.
 */
export function tokenUpdate(
  idHash: string,
  lease: RefreshLease,
  tokens: SessionTokens,
  sealed: Record<string, string>,
  at: {
    readonly now: number;
    readonly refreshAt?: number | undefined;
    readonly expiresAt?: number | undefined;
  },
): { set: string[]; remove: string[]; names: Record<string, string>; values: Record<string, unknown> } {
  const { now, refreshAt, expiresAt } = at;
  const index = refreshIndexEntry(idHash, refreshAt);
  const names: Record<string, string> = {
    '#version': 'version',
    '#leaseOwner': 'leaseOwner',
    '#leaseUntil': 'leaseUntil',
    '#tokens': SEALED.tokens,
    '#tokenKey': SEALED.tokenKey,
    '#at': 'accessTokenExpiresAt',
    '#hasRt': 'hasRefreshToken',
    '#failures': 'refreshFailures',
    '#ttl': TTL,
    '#shard': SHARD,
    '#due': DUE,
  };
  const values: Record<string, unknown> = {
    ':v': lease.version,
    ':owner': lease.owner,
    ':one': 1,
    ':zero': 0,
    ':now': now,
    ':tokens': sealed[SEALED.tokens],
    ':tokenKey': sealed[SEALED.tokenKey],
    ':hasRt': tokens.refreshToken !== undefined,
  };
  const set = [
    '#version = #version + :one',
    '#tokens = :tokens',
    '#tokenKey = :tokenKey',
    '#hasRt = :hasRt',
    '#failures = :zero',
  ];
  const remove = ['#leaseOwner', '#leaseUntil'];
  // The condition below still sees the old end: only a live session can be moved.
  if (expiresAt !== undefined) {
    set.push('#ttl = :expiresAt');
    values[':expiresAt'] = expiresAt;
  }
  if (tokens.accessTokenExpiresAt === undefined) remove.push('#at');
  else {
    set.push('#at = :at');
    values[':at'] = tokens.accessTokenExpiresAt;
  }
  // The index entry follows the new expiry; without one we cannot tell when to refresh.
  if (index[DUE] === undefined) remove.push('#shard', '#due');
  else {
    set.push('#shard = :shard', '#due = :due');
    values[':shard'] = index[SHARD];
    values[':due'] = index[DUE];
  }
  return { set, remove, names, values };
}

/** How a session is ended in place: its tokens, index entry and lease removed, its TTL now. */
export const END_SESSION = {
  expression:
    'SET #ttl = :now, #version = #version + :one, #hasRt = :false ' +
    'REMOVE #tokens, #tokenKey, #shard, #due, #leaseOwner, #leaseUntil',
  names: {
    '#ttl': TTL,
    '#version': 'version',
    '#hasRt': 'hasRefreshToken',
    '#tokens': SEALED.tokens,
    '#tokenKey': SEALED.tokenKey,
    '#shard': SHARD,
    '#due': DUE,
    '#leaseOwner': 'leaseOwner',
    '#leaseUntil': 'leaseUntil',
  },
  values: (now: number) => ({ ':now': now, ':one': 1, ':false': false }),
} as const;

/**
 * One lease claim as a PartiQL UPDATE (for BatchExecuteStatement, which is not a transaction: each
 * statement succeeds or fails alone), with the very condition of a single claim in its WHERE:
 * the version read, a live session that still holds tokens, no lease running.
 */
export function leaseClaimStatement(
  tableName: string,
  candidate: { readonly idHash: string; readonly version: number },
  owner: string,
  leaseUntil: number,
  now: number,
): { Statement: string; Parameters: unknown[] } {
  return {
    Statement:
      `UPDATE "${tableName}" SET "leaseUntil" = ? SET "leaseOwner" = ? ` +
      `WHERE "${PK}" = ? AND "version" = ? AND "${TTL}" > ? AND "${SEALED.tokens}" IS NOT MISSING ` +
      'AND ("leaseUntil" IS MISSING OR "leaseUntil" < ?)',
    Parameters: [leaseUntil, owner, KEY_PREFIX.session + candidate.idHash, candidate.version, now, now],
  };
}
