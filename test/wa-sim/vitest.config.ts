import { defineConfig } from 'vitest/config'

// Runs the simulator's own tests alone: `npx vitest run --config test/wa-sim/vitest.config.ts`.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/wa-sim/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
