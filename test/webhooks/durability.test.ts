import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInstanceToken } from '../helpers/builders.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { freePort, ServerProcess, serverEnv } from '../helpers/server-process.js'
import { eventually } from '../helpers/wait.js'
import { incomingPayload, type Receiver, startReceiver } from './support.js'

describe('webhook deliveries across a killed server', () => {
  let testDb: TestDatabase
  let receiver: Receiver
  const servers: ServerProcess[] = []
  let port: number
  let env: NodeJS.ProcessEnv

  /** `zapini serve` on the test's port: a restart listens where the first one did. */
  async function serve(): Promise<ServerProcess> {
    const server = new ServerProcess('the server', env, port)
    servers.push(server)
    await server.ready()
    return server
  }

  beforeAll(async () => {
    testDb = await createTestDatabase()
    receiver = await startReceiver()
    await receiver.down()
    port = await freePort()
    env = serverEnv(testDb.url, {
      LOG_LEVEL: 'silent',
      RATE_LIMIT_MAX: '0',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_BASE_MS: '1500',
      WEBHOOK_TIMEOUT_MS: '500',
      EVENTS_POLL_MS: '100',
    })
  })
  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL')
    await receiver.close()
    await testDb.dispose()
  })

  it('delivers after a restart the events whose delivery was pending at a SIGKILL', async () => {
    let server = await serve()
    const { token, tenantId } = await server.register({
      name: 'Ops',
      email: 'ops@example.com',
      password: 'a-long-password',
    })
    const { instanceId, token: skToken } = await createInstanceToken(testDb.database.db, tenantId)
    const instance = await server.request('GET', `/instances/${instanceId}`, { token })
    const uuid = instance.body.data.uuid
    const secret = 'durable-secret-123'
    const put = await server.request('PUT', `/instances/${uuid}/webhook`, {
      token,
      body: { webhook_url: receiver.url, webhook_secret: secret },
    })
    expect(put.status).toBe(201)

    // The receiver is down: the first delivery is tried, fails and waits for its retry.
    const first = incomingPayload()
    await server.request('POST', `/webhooks/instance/${uuid}/incoming`, {
      body: first,
      token: skToken,
    })
    const pending = await eventually(async () => {
      const log = await server.request('GET', `/instances/${uuid}/webhook/deliveries`, { token })
      // Tried and waiting for a retry; which retry depends on how fast this loop polls.
      expect(log.body.data[0]).toMatchObject({ status: 'pending' })
      expect(log.body.data[0].attempts).toBeGreaterThanOrEqual(1)
      expect(log.body.data[0].last_error).toMatch(/ECONNREFUSED/)
      return log.body.data[0]
    }, 10_000)
    // A second event, and the server dies before it can have been delivered.
    const second = incomingPayload()
    await server.request('POST', `/webhooks/instance/${uuid}/incoming`, {
      body: second,
      token: skToken,
    })
    await server.stop('SIGKILL')

    await receiver.up()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.received).toHaveLength(0)
    server = await serve()
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
      const log = await server.request('GET', `/instances/${uuid}/webhook/deliveries`, { token })
      expect(log.body.data.map((d: any) => d.status)).toEqual(['delivered', 'delivered'])
    })
  }, 60_000)
})
