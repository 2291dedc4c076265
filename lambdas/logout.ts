// POST /logout. Wiring only: everything is built once per container, the flow lives in shared/.
import { loadConfig } from './shared/config.js';
import { httpHandler } from './shared/error-boundary.js';
import { makeLogoutHandler } from './shared/logout-flow.js';
import { createTokenFlowDeps } from './shared/wiring.js';

export const handler = httpHandler(makeLogoutHandler(createTokenFlowDeps(loadConfig(process.env))));
