// POST /logout. Wiring only: everything is built once per container, the flow lives in shared/flows/.

import { type LogoutDeps, makeLogoutHandler } from './shared/flows/logout.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { DELETE } from './shared/store/store-commands.js';
import { createTokenFlowDeps } from './wiring.js';

// The store sends what deleteSession sends (openTokens reads no table): a Delete.
export const handler = httpHandler(
  makeLogoutHandler(createTokenFlowDeps<keyof LogoutDeps['store']>(loadConfig(process.env), DELETE)),
);
