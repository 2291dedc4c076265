/**
 * One Powertools logger per container: structured JSON with the request id. Callers log codes,
 * counts and names only, never a token, code, state, verifier, secret or cookie value.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { DEFAULT_SERVICE_NAME } from '../definitions/metric-names.js';
import { installLogConsole, logConsole } from './log-output.js';

/** Powertools' Logger, writing through the process's log console (platform/log-output.ts says why). */
class LambdaLogger extends Logger {
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LambdaLogger(options);
  }
}
installLogConsole(LambdaLogger, (instance) => {
  const target = logConsole();
  instance.console = target;
  // As Powertools' own setConsole does, a trace is a plain line (Lambda's way): the descriptors'
  // console writes it so already; the global one (POWERTOOLS_DEV) is patched as Powertools patches it.
  if (target === console)
    target.trace = (message?: unknown, ...rest: unknown[]) => target.log(message, ...rest);
});

export const logger: Logger = new LambdaLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
});

export type Log = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
