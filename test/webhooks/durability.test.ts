import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInstanceToken } from '../helpers/builders.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { httpRequest } from '../helpers/http.js'
import { eventually } from '../helpers/wait.js'
import { incomingPayload, type Receiver, startReceiver } from './support.js'

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('webhook deliveries across a killed server', () => {
  let testDb: TestDatabase
  let receiver: Receiver
  let server: ChildProcess | null = null
  let base: string
  let env: NodeJS.ProcessEnv

  async function serve(): Promise<void> {
    server = spawn(process.execPath, ['bin/zapini.js', 'serve'], { env, stdio: 'ignore' })
    await eventually(
      async () => expect((await httpRequest(base, 'GET', '/health')).status).toBe(200),
      20_000,
      100,
    )
  }

  async function kill(): Promise<void> {
    const exited = new Promise((resolve) => server!.once('exit', resolve))
    server!.kill('SIGKILL')
    await exited
    server = null
  }

  beforeAll(async () => {
    testDb = await createTestDatabase()
    receiver = await startReceiver()
    await receiver.down()
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    env = {
      PATH: process.env['PATH'],
      DATABASE_URL: testDb.url,
      APP_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMIT_MAX: '0',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_BASE_MS: '1500',
      WEBHOOK_TIMEOUT_MS: '500',
      EVENTS_POLL_MS: '100',
    }
  })
  afterAll(async () => {
    server?.kill('SIGKILL')
    await receiver.close()
    await testDb.dispose()
  })

  it('delivers after a restart the events whose delivery was pending at a SIGKILL', async () => {
    await serve()
    const password = 'a-long-password'
    const registered = await httpRequest(base, 'POST', '/api/v1/auth/register', {
      body: {
        name: 'Ops',
        email: 'ops@example.com',
        password,
        password_confirmation: password,
        terms_accepted: true,
      },
    })
    const token = registered.body.data.token
    const tenantId = registered.body.data.user.tenant.id
    const { instanceId, token: skToken } = await createInstanceToken(testDb.database.db, tenantId)
    const instance = await httpRequest(base, 'GET', `/api/v1/instances/${instanceId}`, { token })
    const uuid = instance.body.data.uuid
    const secret = 'durable-secret-123'
    const put = await httpRequest(base, 'PUT', `/api/v1/instances/${uuid}/webhook`, {
      token,
      body: { webhook_url: receiver.url, webhook_secret: secret },
    })
    expect(put.status).toBe(201)

    // The receiver is down: the first delivery is tried, fails and waits for its retry.
    const first = incomingPayload()
    await httpRequest(base, 'POST', `/api/v1/webhooks/instance/${uuid}/incoming`, {
      body: first,
      token: skToken,
    })
    const pending = await eventually(async () => {
      const log = await httpRequest(base, 'GET', `/api/v1/instances/${uuid}/webhook/deliveries`, { token })
      expect(log.body.data[0]).toMatchObject({ status: 'pending', attempts: 1 })
      expect(log.body.data[0].last_error).toMatch(/ECONNREFUSED/)
      return log.body.data[0]
    }, 10_000)
    // A second event, and the server dies before it can have been delivered.
    const second = incomingPayload()
    await httpRequest(base, 'POST', `/api/v1/webhooks/instance/${uuid}/incoming`, {
      body: second,
      token: skToken,
    })
    await kill()

    await receiver.up()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.received).toHaveLength(0)
    await serve()
    const delivered = await eventually(
      () => {
        const ids = receiver.of('message.received').map((r) => r.body.data.whatsapp_message_id)
        expect(ids).toEqual(expect.arrayContaining([first.key.id, second.key.id]))
        return receiver.of('message.received')
      },
      20_000,
      100,
    )
    const firstHit = delivered.find((r) => r.body.data.whatsapp_message_id === first.key.id)!
    expect(firstHit.headers['x-webhook-id']).toBe(pending.uuid)
    await eventually(async () => {
      const log = await httpRequest(base, 'GET', `/api/v1/instances/${uuid}/webhook/deliveries`, { token })
      expect(log.body.data.map((d: any) => d.status)).toEqual(['delivered', 'delivered'])
    })
  }, 60_000)
})
