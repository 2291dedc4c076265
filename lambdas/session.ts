// GET /session. Wiring only: everything is built once per container, the flow lives in shared/.
import { systemClock } from './shared/domain/clock.js';
import { makeSessionHandler } from './shared/flows/session.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';

const config = loadConfig(process.env);

export const handler = httpHandler(
  makeSessionHandler({ config, store: createDynamoStore(config.tableName), clock: systemClock }),
);
