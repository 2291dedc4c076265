/**
 * The table's shape, defined once: the construct (lib/), the local stack, the DynamoDB adapter and
 * the tests all read it from here. Plain data, so it imports neither the CDK nor the AWS SDK.
 *
 * One table holds three kinds of item, told apart by the partition key's prefix:
 * - login transactions, `tx#<sha256(state)>`, short-lived;
 * - sessions, `session#<sha256(session id)>`, with their tokens;
 * - the `jti`s of accepted back-channel logout tokens, `logout-jti#<sha256(jti)>`, kept until a
 *   token with that `jti` would be refused as too old anyway (checklist J31: never accepted twice).
 * Neither the raw `state` nor the raw session id is ever stored: a leaked table dump cannot be
 * replayed as a callback or as a cookie.
 */
export const TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  /** TTL attribute, epoch seconds. DynamoDB deletes late (up to days), so code checks it on every read. */
  timeToLiveAttribute: 'expiresAt',
  /**
   * Sparse index of sessions that hold a refresh token, sorted by when the access token is due.
   * The partition key is spread over `refreshShards` values so no single partition gets hot and a
   * refresh tick reads only the due items of each shard (a Query per shard, never a Scan).
   */
  refreshIndex: {
    indexName: 'refresh-due',
    partitionKey: { name: 'refreshShard', type: 'S' },
    sortKey: { name: 'refreshAt', type: 'N' },
  },
  refreshShards: 8,
  /**
   * Sparse index of sessions by the `sub` of their ID token (sessions without an ID token are not
   * in it), projecting the ID token's `sid`: a back-channel logout finds the sessions it ends with
   * one Query, never a Scan. Keyed by `sub` rather than `sid` because a logout token always names
   * whom it is about by `sub` in practice and may omit `sid` ("every session of this user"), while
   * one index is all CloudFormation can add to an existing table in one deployment.
   */
  subjectIndex: {
    indexName: 'session-subject',
    partitionKey: { name: 'sub', type: 'S' },
    /** Non-key attributes the index carries, besides the table's and its own keys. */
    projectedAttributes: ['sid'],
  },
} as const;

export const KEY_PREFIX = { transaction: 'tx#', session: 'session#', logoutToken: 'logout-jti#' } as const;
