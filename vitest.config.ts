import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@toolplane/source'] },
  ssr: { resolve: { conditions: ['@toolplane/source'] } },
  test: {
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'packages/*/src/**/*.test.ts',
            'plugins/*/src/**/*.test.ts',
            'bench/**/*.test.ts',
            'e2e/**/*.test.ts',
          ],
        },
      },
      {
        // The web app's components, rendered in jsdom.
        extends: true,
        test: {
          name: 'web',
          environment: 'jsdom',
          include: ['packages/web/src/**/*.test.tsx'],
          setupFiles: ['./packages/web/src/testing/setup.ts'],
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.{ts,tsx}', 'plugins/*/src/**/*.ts'],
      exclude: [
        '**/*.test.{ts,tsx}',
        '**/testing/**',
        '**/fixtures/**',
        '**/bin.ts',
        '**/openapi/generate.ts',
        'packages/web/src/main.tsx',
      ],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 85, branches: 85 },
    },
  },
})
