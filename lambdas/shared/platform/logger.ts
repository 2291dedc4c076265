/**
 * One Powertools logger per container: structured JSON with the request id. Callers log codes,
 * counts and names only, never a token, code, state, verifier, secret or cookie value.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_SERVICE_NAME } from '../definitions/metric-names.js';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
});

export type Log = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
