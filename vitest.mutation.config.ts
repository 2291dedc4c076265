import { defineConfig } from 'vitest/config';
import { SHARED_TEST_OPTIONS, UNIT_TESTS } from './vitest.shared.js';

/** StrykerJS (stryker.config.mjs) runs the unit tests only: no DynamoDB Local, no Java, no network. */
export default defineConfig({ test: { ...SHARED_TEST_OPTIONS, include: UNIT_TESTS } });
