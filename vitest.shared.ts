/**
 * Settings every vitest project shares: vitest.config.ts (npm test and its scripts) and
 * vitest.mutation.config.ts (StrykerJS, the unit project alone).
 */
import type { ViteUserConfig } from 'vitest/config';

export const UNIT_TESTS = ['test/unit/**/*.test.ts'];

export const SHARED_TEST_OPTIONS = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // The dev AS's start-up notices (development-only features, in-memory adapter) are expected.
  onConsoleLog: (log: string) => !log.includes('oidc-provider WARNING'),
  env: {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Handlers log at INFO in production; the log-hygiene test raises it to DEBUG itself.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  },
} satisfies NonNullable<ViteUserConfig['test']>;
