// GET /session. Wiring only: everything is built once per container, the flow lives in shared/.
import { systemClock } from './shared/clock.js';
import { loadConfig } from './shared/config.js';
import { createDynamoStore } from './shared/dynamo-store.js';
import { httpHandler } from './shared/error-boundary.js';
import { makeSessionHandler } from './shared/session-flow.js';

const config = loadConfig(process.env);

export const handler = httpHandler(
  makeSessionHandler({ config, store: createDynamoStore(config.tableName), clock: systemClock }),
);
