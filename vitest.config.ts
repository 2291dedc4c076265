import { defineConfig } from 'vitest/config';
import { SHARED_TEST_OPTIONS, UNIT_TESTS } from './vitest.shared.js';

/**
 * Three projects, so that each layer of tests starts only what it needs:
 * - `unit`: plain functions and flows with object-literal fakes; no DynamoDB Local, so no Java;
 * - `infra`: CDK synth and assertions; no DynamoDB Local either;
 * - `integration`: test/integration, test/sam and test/e2e against one DynamoDB Local for the run
 *   (each test file makes its own tables).
 * `npm test` runs all three; `--project unit` (npm run test:unit) runs on a machine without Java.
 */
export default defineConfig({
  test: {
    ...SHARED_TEST_OPTIONS,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      {
        extends: true,
        // A deprecated aws-cdk-lib API used by the construct prints a warning at every synth of an
        // embedder's app (and throws under their JSII_DEPRECATED=fail): here it fails the test.
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], env: { JSII_DEPRECATED: 'fail' } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/sam/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
    // npm run test:coverage: the handler library, measured over the whole suite; CI runs it so and
    // fails below these floors (measured over the whole suite: statements 96.0, branches 93.4,
    // functions 98.5, lines 97.3 per cent; the floors leave 1-2 points for timing-dependent paths).
    coverage: {
      provider: 'v8',
      include: ['lambdas/shared/**/*.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: { statements: 95, branches: 92, functions: 98, lines: 96 },
    },
  },
});
