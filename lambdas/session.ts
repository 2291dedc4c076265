// GET /session. Wiring only: everything is built once per container, the flow lives in shared/flows/.
import { makeSessionHandler } from './shared/flows/session.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createSessionDeps } from './wiring.js';

export const handler = httpHandler(makeSessionHandler(createSessionDeps(loadConfig(process.env))));
