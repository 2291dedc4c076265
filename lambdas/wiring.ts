/**
 * The composition root: the dependencies of every flow, built once per container from the
 * configuration. Entry files call one of these and hand the result to their flow; the tests build
 * through the very same functions (test/support/backend.ts), passing the clock they move and the
 * DynamoDB client they watch.
 *
 * Each function wires only what it uses: login and session never see a token, so they load
 * neither KMS nor Secrets Manager (smaller bundles, faster cold starts, narrower permissions).
 */
import { type Clock, systemClock } from './shared/domain/clock.js';
import type { LoginDeps } from './shared/flows/login.js';
import type { LogoutDeps } from './shared/flows/logout.js';
import type { RedirectDeps } from './shared/flows/redirect.js';
import type { OnDemandRefreshDeps, RefreshDeps } from './shared/flows/refresh.js';
import type { SessionDeps } from './shared/flows/session.js';
import { OAuthClient } from './shared/oauth/client.js';
import { EndSessionClient } from './shared/oauth/end-session.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createClientSecretSource } from './shared/platform/secrets.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import type { Store } from './shared/store/port.js';
import {
  BATCH_EXECUTE_STATEMENT,
  type CommandsFor,
  DELETE,
  GET,
  PUT,
  QUERY,
  UPDATE,
} from './shared/store/store-commands.js';
import { createTokenCipher } from './shared/store/token-keys.js';

/** What a caller may put in place of the defaults; the Lambda entry files pass nothing. */
export interface WiringOptions {
  /** The clock of the flows and of the OAuth client (token expiry, Retry-After). Default: the system clock. */
  readonly clock?: Clock;
  /** The DynamoDB client under the store. Default: one configured from the SDK's environment. */
  readonly dynamoDb?: Parameters<typeof createDynamoStore>[3];
}

/** GET /login: writes transactions only (no token cipher, no secret). */
export function createLoginDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return {
    config,
    // Writes transactions only: a Put (store/store-commands.ts says why only it is given).
    store: createDynamoStore<keyof LoginDeps['store']>(config.tableName, PUT, undefined, dynamoDb),
    oauth: new OAuthClient(config, { clock }),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/** GET /session: reads the clear-text part of a session only. */
export function createSessionDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return {
    config,
    store: createDynamoStore<keyof SessionDeps['store']>(config.tableName, GET, undefined, dynamoDb),
    clock,
  };
}

/** What every flow that touches tokens gets but its OAuth client: the store with its cipher, the client secret. */
function tokenFlowBase<K extends keyof Store>(
  config: Config,
  commands: CommandsFor<K>,
  clock: Clock,
  dynamoDb: WiringOptions['dynamoDb'],
) {
  return {
    config,
    store: createDynamoStore<K>(config.tableName, commands, createTokenCipher(config), dynamoDb),
    secrets: createClientSecretSource(config.clientSecret),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/**
 * The flows that touch tokens (redirect, refresh, the API proxy and the runtime library each
 * through its function below; in the tests, all of them and logout). `commands`: those of the store operations K the flow uses
 * (store/store-commands.ts), so that its bundle carries no others; the tests give
 * ALL_STORE_COMMANDS, for every flow at once.
 */
export function createTokenFlowDeps<K extends keyof Store = keyof Store>(
  config: Config,
  commands: CommandsFor<K>,
  { clock = systemClock, dynamoDb }: WiringOptions = {},
) {
  return { ...tokenFlowBase(config, commands, clock, dynamoDb), oauth: new OAuthClient(config, { clock }) };
}

/**
 * POST /logout: deletes the session (a Delete), opens its tokens, and ends the session at the AS
 * with the end-session client alone (oauth/end-session.ts): revocation and the logout URL, none of
 * the token requests.
 */
export function createLogoutDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return {
    ...tokenFlowBase<keyof LogoutDeps['store']>(config, DELETE, clock, dynamoDb),
    oauth: new EndSessionClient(config, { clock }),
  };
}

/** The store operations of the scheduled refresh (RefreshDeps): the refresh function. */
type RefreshStoreOperation = keyof RefreshDeps['store'];

/** The store operations of a refresh on demand (OnDemandRefreshDeps): the API proxy, the runtime library. */
type OnDemandRefreshStoreOperation = keyof OnDemandRefreshDeps['store'];

/**
 * The commands of the scheduled refresh's store operations: Queries of the index, the batched
 * lease claims (PartiQL), Updates. A function, not a constant, so that a bundle that never calls it
 * keeps none of them.
 */
const refreshCommands = (): CommandsFor<RefreshStoreOperation> => ({
  ...QUERY,
  ...UPDATE,
  ...BATCH_EXECUTE_STATEMENT,
});

/**
 * The commands of a refresh on demand: a Get (the session by its cookie, and again while another
 * refresher holds the lease) and Updates. As their IAM grants have it (lib/permissions.ts).
 */
const onDemandRefreshCommands = (): CommandsFor<OnDemandRefreshStoreOperation> => ({
  ...GET,
  ...UPDATE,
});

/** GET /redirect: consumes the transaction and writes the session (a Delete and a Put). */
export function createRedirectDeps(config: Config, options: WiringOptions = {}) {
  return createTokenFlowDeps<keyof RedirectDeps['store']>(config, { ...DELETE, ...PUT }, options);
}

/** The scheduled refresh. */
export function createRefreshDeps(config: Config, options: WiringOptions = {}) {
  return createTokenFlowDeps<RefreshStoreOperation>(config, refreshCommands(), options);
}

/** The runtime library's session access (an embedding app's function): reads sessions, refreshes on demand. */
export function createSessionAccessDeps(config: Config, options: WiringOptions = {}) {
  return createTokenFlowDeps<OnDemandRefreshStoreOperation>(config, onDemandRefreshCommands(), options);
}

/** The API proxy: the token flows' dependencies (a refresh on demand) and the outbound fetch to the upstreams. */
export function createApiProxyDeps(config: Config) {
  return {
    ...createSessionAccessDeps(config),
    fetch: globalThis.fetch,
  };
}
