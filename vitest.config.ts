import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run; each test file makes its own tables.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    // The dev AS's start-up notices (development-only features, in-memory adapter) are expected.
    onConsoleLog: (log) => !log.includes('oidc-provider WARNING'),
    hookTimeout: 60_000,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Handlers log at INFO in production; the log-hygiene test raises it to DEBUG itself.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
