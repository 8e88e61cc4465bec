import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@toolplane/source'] },
  ssr: { resolve: { conditions: ['@toolplane/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'plugins/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/testing/**', '**/fixtures/**', '**/bin.ts', '**/openapi/generate.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 85, branches: 85 },
    },
  },
})
