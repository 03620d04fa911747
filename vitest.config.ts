import { defineConfig } from 'vitest/config';

/**
 * @mlc-ai/web-xgrammar ships a UMD bundle in a `"type": "module"` package, which
 * Node's own loader cannot run; inlined, Vite transforms it as it does for the app.
 */
const server = { deps: { inline: ['@mlc-ai/web-xgrammar'] } };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', server } },
      {
        test: {
          name: 'engine',
          include: ['tests/engine/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          server,
        },
      },
    ],
  },
});
