import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts', 'adapters/**/*.ts', 'index.ts'],
      reporter: ['text-summary'],
      thresholds: { lines: 90 },
    },
  },
});
