// POST /backchannel-logout. Wiring only: everything is built once per container, the flow lives in shared/flows/.
import { makeBackchannelLogoutHandler } from './shared/flows/backchannel-logout.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createBackchannelLogoutDeps } from './wiring-backchannel-logout.js';

export const handler = httpHandler(
  makeBackchannelLogoutHandler(createBackchannelLogoutDeps(loadConfig(process.env))),
);
