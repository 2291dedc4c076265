// @ts-check
/**
 * npm run test:mutation: StrykerJS mutates the handler library (lambdas/shared) and runs the unit
 * project against each mutant (no Java, no network). Not in CI: a full run takes a while on 2 cores.
 * Reports: reports/mutation/mutation.html and .json.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['lambdas/shared/**/*.ts'],
  coverageAnalysis: 'perTest',
  // Module-scope code (constants, tables) runs once per test file: mutating it would mean rerunning everything.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  // Stryker rewrites the tsconfig's `extends` and `references` for its sandbox with the TypeScript
  // compiler API, which TypeScript 7 no longer has; ours has neither, so it is not handed over.
  tsconfigFile: 'no-tsconfig-to-rewrite.json',
  ignorePatterns: ['cdk.out*', 'coverage', 'reports', 'bench', 'docs', 'events'],
};
