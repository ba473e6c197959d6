import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { freePort, ServerProcess, serverEnv } from './helpers/server-process.js'

const run = promisify(execFile)
const BIN = 'bin/zapini.js'

// Every command starts a fresh Node process that compiles the TypeScript sources first (3-4 s
// each here, more on a loaded machine), and the first test starts four of them.
describe('zapini command line', { timeout: 120_000 }, () => {
  let testDb: TestDatabase
  let env: NodeJS.ProcessEnv
  let server: ServerProcess | null = null

  beforeAll(async () => {
    testDb = await createTestDatabase()
    env = serverEnv(testDb.url, { LOG_LEVEL: 'silent' })
  })
  afterAll(async () => {
    await server?.stop('SIGKILL')
    await testDb.dispose()
  })

  const zapini = (...args: string[]) => run(process.execPath, [BIN, ...args], { env })

  it('migrates, creates a user and a token, and serves requests with that token', async () => {
    expect((await zapini('migrate')).stdout).toMatch(/up to date|Applied/)
    const created = await zapini(
      'user:create',
      '--email',
      'Ops@Example.com',
      '--password',
      'a-long-password',
      '--name',
      'Ops',
    )
    expect(created.stdout).toMatch(/Created user ops@example\.com .*role admin/)
    const token = (
      await zapini('token:create', '--email', 'ops@example.com', '--name', 'deploy')
    ).stdout.trim()
    expect(token).toMatch(/^\d+\|[A-Za-z0-9]{40}$/)

    server = new ServerProcess('the server', env, await freePort())
    await server.ready()
    const me = await server.request('GET', '/auth/me', { token })
    expect(me.status).toBe(200)
    expect(me.body.data.user.email).toBe('ops@example.com')
    const sessions = await server.request('GET', '/auth/sessions', { token })
    expect(sessions.body.data.sessions[0].name).toBe('deploy')

    expect(await server.stop('SIGTERM')).toBe(0)
    server = null
  })

  it('refuses a duplicate user and missing options with a clear message', async () => {
    await expect(
      zapini('user:create', '--email', 'ops@example.com', '--password', 'a-long-password', '--name', 'Again'),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/already been taken/) })
    await expect(zapini('user:create', '--email', 'x@example.com')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--password, --name/),
    })
  })

  it('stops with a message naming a bad setting', async () => {
    await expect(
      run(process.execPath, [BIN, 'serve'], { env: { ...env, PORT: 'eighty' } }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/Invalid setting PORT/),
    })
  })
})
