/**
 * Every permission the construct hands out, in one table. Each Lambda (and each function an
 * embedder passes to `grantSessionAccess`) gets exactly the rows of its entry, on exactly the
 * resources named, and nothing else: no managed policy, no wildcard action, no `Resource: *`.
 */
import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { encryptionContext } from '../lambdas/shared/definitions/encryption-context.js';
import type { RouteName } from '../lambdas/shared/definitions/routes.js';
import { KEY_PREFIX, TABLE_SCHEMA } from '../lambdas/shared/definitions/table-schema.js';

export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  /** PartiQL UPDATE statements (BatchExecuteStatement): the refresh claims its leases in batches. */
  | 'dynamodb:PartiQLUpdate';
export type IndexAction = 'dynamodb:Query';
export type TokenKeyAction = 'kms:Decrypt' | 'kms:GenerateDataKey';

/** What one function may do. */
export interface Access {
  /** Item actions on the table. */
  readonly table?: readonly TableAction[];
  /**
   * Table actions allowed only on items whose partition key starts with one of the given prefixes
   * (`dynamodb:LeadingKeys`), e.g. a function that may update sessions but write nothing else.
   * An action listed here is granted with that condition only, never also unconditionally.
   */
  readonly keyPrefixes?: Partial<Record<TableAction, readonly string[]>>;
  /** Actions on the sparse refresh index only (never the table: no Query or Scan of everything). */
  readonly refreshIndex?: readonly IndexAction[];
  /** Actions on the sparse subject index only (back-channel logout finds a user's sessions there). */
  readonly subjectIndex?: readonly IndexAction[];
  /** Read the client secret. */
  readonly clientSecret?: boolean;
  /**
   * Actions on the token key, allowed only with the encryption context the handlers send
   * (`purpose` and this table), so the grant cannot serve any other ciphertext.
   */
  readonly tokenKey?: readonly TokenKeyAction[];
}

/** Reads and updates of session items only (`session#`): no transaction, no logout-token record. */
const SESSIONS_ONLY = {
  'dynamodb:GetItem': [KEY_PREFIX.session],
  'dynamodb:UpdateItem': [KEY_PREFIX.session],
} as const;

/**
 * The permissions of each route function (by route name, lambdas/shared/definitions/routes.ts), of
 * the refresh function, and of an embedder's function given to `grantSessionAccess`. A route
 * without an entry here does not compile (`satisfies` below).
 */
export const ACCESS = {
  /** Writes the login transaction (only `tx#` items). */
  login: { table: ['dynamodb:PutItem'], keyPrefixes: { 'dynamodb:PutItem': [KEY_PREFIX.transaction] } },
  /**
   * Consumes the transaction with a conditional delete, exchanges the code (client secret), and
   * writes the session with freshly encrypted tokens (a new data key; nothing to decrypt). Deletes
   * only transactions and the browser's previous session; writes only sessions.
   */
  redirect: {
    table: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
    keyPrefixes: {
      'dynamodb:DeleteItem': [KEY_PREFIX.transaction, KEY_PREFIX.session],
      'dynamodb:PutItem': [KEY_PREFIX.session],
    },
    clientSecret: true,
    tokenKey: ['kms:GenerateDataKey'],
  },
  /** Reads the session by its cookie; it never opens the tokens. */
  session: { table: ['dynamodb:GetItem'], keyPrefixes: { 'dynamodb:GetItem': [KEY_PREFIX.session] } },
  /**
   * Deletes the session, then decrypts the refresh token of the deleted item to revoke it at the
   * authorization server (client secret).
   */
  logout: {
    table: ['dynamodb:DeleteItem'],
    keyPrefixes: { 'dynamodb:DeleteItem': [KEY_PREFIX.session] },
    clientSecret: true,
    tokenKey: ['kms:Decrypt'],
  },
  /**
   * Finds due sessions through the index only (the index projects whole items, so no GetItem),
   * claims leases (conditional PartiQL updates, in batches) and writes tokens in place
   * (conditional updates), and decrypts and re-encrypts
   * the tokens it refreshes. A loser of a race spends nothing and simply moves on. Its UpdateItem is
   * limited to sessions; its PartiQL UPDATE is not: AWS documents `dynamodb:LeadingKeys` for the
   * item actions, not for PartiQL, and a condition IAM does not evaluate there would deny the
   * lease claims in production, where no local test can see it.
   */
  refresh: {
    table: ['dynamodb:UpdateItem', 'dynamodb:PartiQLUpdate'],
    keyPrefixes: { 'dynamodb:UpdateItem': [KEY_PREFIX.session] },
    refreshIndex: ['dynamodb:Query'],
    clientSecret: true,
    tokenKey: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  /**
   * The API proxy: reads the session by its cookie, decrypts its access token, and refreshes it on
   * demand through the single-flight path (lease and token writes are conditional updates).
   */
  apiProxy: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keyPrefixes: SESSIONS_ONLY,
    clientSecret: true,
    tokenKey: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  /**
   * Verifies logout tokens (no secret: the AS's public keys), records each token's `jti` with a
   * conditional put (only `logout-jti#` items), finds the user's sessions through the subject index,
   * and ends them with a conditional update (only `session#` items). It never opens a token.
   */
  backchannelLogout: {
    table: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    keyPrefixes: {
      'dynamodb:PutItem': [KEY_PREFIX.logoutToken],
      'dynamodb:UpdateItem': [KEY_PREFIX.session],
    },
    subjectIndex: ['dynamodb:Query'],
  },
  /** An embedder's function that reads the session from the cookie and may refresh it on demand. */
  sessionAccess: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keyPrefixes: SESSIONS_ONLY,
    clientSecret: true,
    tokenKey: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
} as const satisfies Record<RouteName | 'refresh' | 'apiProxy' | 'sessionAccess', Access>;

export interface AccessTargets {
  readonly table: ITable;
  readonly clientSecret: ISecret;
  readonly tokenKey: IKey;
}

/** The `kms:EncryptionContext:*` conditions matching what the handlers send to KMS. */
export function tokenKeyConditions(tableName: string): Record<string, Record<string, string>> {
  const context = encryptionContext(tableName);
  return {
    StringEquals: Object.fromEntries(
      Object.entries(context).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]),
    ),
  };
}

/** ARN of the refresh index: the only place the refresh function may Query. */
export function refreshIndexArn(table: ITable): string {
  return `${table.tableArn}/index/${TABLE_SCHEMA.refreshIndex.indexName}`;
}

/** ARN of the subject index: the only place back-channel logout may Query. */
export function subjectIndexArn(table: ITable): string {
  return `${table.tableArn}/index/${TABLE_SCHEMA.subjectIndex.indexName}`;
}

/**
 * Reading an item of a table encrypted with a customer managed key needs the key too; DynamoDB
 * uses it on the caller's behalf, so the grant is limited to calls made through DynamoDB. The
 * actions are the ones CDK's own `grantReadData` / `grantWriteData` use, spelled out.
 */
const TABLE_KEY_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE = [
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
];

/** Applies one row of {@link ACCESS} to a grantee; returns the combined grant. */
export function grantAccess(grantee: IGrantable, access: Access, targets: AccessTargets): Grant {
  const { table, clientSecret, tokenKey } = targets;
  const grants: Grant[] = [];
  const allow = (
    actions: readonly string[],
    resourceArns: string[],
    conditions?: Record<string, Record<string, unknown>>,
  ) => {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns,
      ...(conditions ? { conditions } : {}),
    });
    // A grantee without a policy (an imported function without its role) would silently get nothing.
    grant.assertSuccess();
    grants.push(grant);
  };

  const byPrefix = access.keyPrefixes ?? {};
  const unconditioned = (access.table ?? []).filter((a) => byPrefix[a] === undefined);
  if (unconditioned.length) allow(unconditioned, [table.tableArn]);
  for (const action of access.table ?? []) {
    const prefixes = byPrefix[action];
    if (prefixes === undefined) continue;
    allow([action], [table.tableArn], {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
    });
  }
  if (access.refreshIndex?.length) allow(access.refreshIndex, [refreshIndexArn(table)]);
  if (access.subjectIndex?.length) allow(access.subjectIndex, [subjectIndexArn(table)]);
  if (access.clientSecret) grants.push(clientSecret.grantRead(grantee));
  if (access.tokenKey?.length) allow(access.tokenKey, [tokenKey.keyArn], tokenKeyConditions(table.tableName));

  if (
    table.encryptionKey &&
    (access.table?.length || access.refreshIndex?.length || access.subjectIndex?.length)
  ) {
    const writes = (access.table ?? []).some((a) => a !== 'dynamodb:GetItem');
    allow(writes ? [...TABLE_KEY_READ, ...TABLE_KEY_WRITE] : TABLE_KEY_READ, [table.encryptionKey.keyArn], {
      StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(table).region}.amazonaws.com` },
    });
  }

  const [first, ...rest] = grants;
  if (!first) throw new Error('grantAccess: the access row grants nothing');
  return rest.reduce((all, grant) => all.combine(grant), first);
}
