// GET /redirect. Wiring only: everything is built once per container, the flow lives in shared/flows/.

import { makeRedirectHandler } from './shared/flows/redirect.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createRedirectDeps } from './wiring.js';

export const handler = httpHandler(makeRedirectHandler(createRedirectDeps(loadConfig(process.env))));
