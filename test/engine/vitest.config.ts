import { defineConfig } from 'vitest/config'

// Engine tests need no database: this config runs them without the repository's global set-up.
export default defineConfig({
  test: {
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
})
