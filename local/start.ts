// `npm start`: the local stack on its embedded defaults, until SIGINT or SIGTERM.
import { ConfigError } from '../lambdas/shared/platform/config.js';
import { PortInUseError } from './free-port.js';
import { startLocalStack } from './stack.js';

try {
  const stack = await startLocalStack();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (DynamoDB Local, authorization server, API)...`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  // What the user can fix gets its message alone, without a stack trace.
  console.error(error instanceof ConfigError || error instanceof PortInUseError ? error.message : error);
  process.exit(1);
}
