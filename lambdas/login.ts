// GET /login. Wiring only: everything is built once per container, the flow lives in shared/flows/.
import { makeLoginHandler } from './shared/flows/login.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createLoginDeps } from './wiring.js';

export const handler = httpHandler(makeLoginHandler(createLoginDeps(loadConfig(process.env))));
