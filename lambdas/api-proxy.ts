// ANY <api path>[/{proxy+}]. Wiring only: everything is built once per container, the flow lives in shared/flows/.
import { makeApiProxyHandler } from './shared/flows/api-proxy.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { loadConfig } from './shared/platform/config.js';
import { createApiProxyDeps } from './wiring.js';

export const handler = httpHandler(makeApiProxyHandler(createApiProxyDeps(loadConfig(process.env))));
