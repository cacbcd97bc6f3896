import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Examples import the package by its name, as users copy them; tests run them against the sources
// (tsconfig.json maps the same names for the type check).
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^lambda-bridge$/, replacement: source('./index.ts') },
      { find: /^lambda-bridge\/serve$/, replacement: source('./adapters/serve.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Vitest's default leaves a core free (one worker on two cores); most of the suite waits on
    // child processes and sockets rather than the CPU, so every core runs a test file.
    maxWorkers: availableParallelism(),
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
