// POST /logout. Wiring only: everything is built once per container, the flow lives in shared/flows/.

import { makeLogoutHandler } from './shared/flows/logout.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createLogoutDeps } from './wiring.js';

export const handler = httpHandler(makeLogoutHandler(createLogoutDeps(loadConfig(process.env))));
