// GET /redirect. Wiring only: everything is built once per container, the flow lives in shared/.
import { loadConfig } from './shared/config.js';
import { httpHandler } from './shared/error-boundary.js';
import { makeRedirectHandler } from './shared/redirect-flow.js';
import { createTokenFlowDeps } from './shared/wiring.js';

export const handler = httpHandler(makeRedirectHandler(createTokenFlowDeps(loadConfig(process.env))));
