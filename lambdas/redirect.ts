// GET /redirect. Wiring only: everything is built once per container, the flow lives in shared/flows/.

import { makeRedirectHandler, type RedirectDeps } from './shared/flows/redirect.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { DELETE, PUT } from './shared/store/store-commands.js';
import { createTokenFlowDeps } from './wiring.js';

// The store sends what consumeTransaction, createSession and deleteSession send: a Delete and a Put.
export const handler = httpHandler(
  makeRedirectHandler(
    createTokenFlowDeps<keyof RedirectDeps['store']>(loadConfig(process.env), { ...DELETE, ...PUT }),
  ),
);
