// `npm start`: the local stack on its embedded defaults, until SIGINT or SIGTERM.
import { ConfigError } from '../lambdas/shared/platform/config.js';
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
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
