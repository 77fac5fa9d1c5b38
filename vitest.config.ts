import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Children a test file spawned die with it, even when a test timed out (test/setup/reap-children.ts).
    setupFiles: ['test/setup/reap-children.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: service-backed suites (Kafka, slapd, DuckDB files) must not starve each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
