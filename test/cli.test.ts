import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { httpRequest } from './helpers/http.js'

const run = promisify(execFile)
const BIN = 'bin/zapini.js'

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('zapini command line', () => {
  let testDb: TestDatabase
  let env: NodeJS.ProcessEnv
  let server: ChildProcess | null = null

  beforeAll(async () => {
    testDb = await createTestDatabase()
    env = {
      PATH: process.env['PATH'],
      DATABASE_URL: testDb.url,
      APP_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
    }
  })
  afterAll(async () => {
    server?.kill('SIGKILL')
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

    const port = await freePort()
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    })
    const base = `http://127.0.0.1:${port}`
    let health = null
    for (let i = 0; i < 100 && !health; i++) {
      health = await httpRequest(base, 'GET', '/health').catch(() => null)
      if (!health) await new Promise((r) => setTimeout(r, 100))
    }
    expect(health?.status).toBe(200)
    const me = await httpRequest(base, 'GET', '/api/v1/auth/me', { token })
    expect(me.status).toBe(200)
    expect(me.body.data.user.email).toBe('ops@example.com')
    const sessions = await httpRequest(base, 'GET', '/api/v1/auth/sessions', { token })
    expect(sessions.body.data.sessions[0].name).toBe('deploy')

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)))
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
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
