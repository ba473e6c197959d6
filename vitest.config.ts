import os from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file per core, not vitest's cores - 1: much of a file's time is spent waiting on
    // child processes, sockets and timers, and on two cores that default runs files one by one.
    maxWorkers: os.availableParallelism(),
  },
})
