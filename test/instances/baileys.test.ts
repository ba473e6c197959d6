import { randomBytes } from 'node:crypto'
import type net from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { Database } from '../../src/db/database.js'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { createCipher } from '../../src/lib/secrets.js'
import { createEngineFactory, type EngineFactoryOptions } from '../../src/services.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { type HttpResponse, httpRequest, type RequestOptions } from '../helpers/http.js'
import { freePort } from '../helpers/server-process.js'
import { eventually } from '../helpers/wait.js'
import { startSimulator, textOf, trustSimulator, type WaSimulator } from '../wa-sim/index.js'

const silent = pino({ level: 'silent' })

/** The application as production builds it, its Baileys sockets pointed where the test says. */
async function startApp(database: Database, url: string, socket: EngineFactoryOptions['baileysSocket']) {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost',
    DATABASE_URL: url,
    APP_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MAX: '0',
  })
  const app = await buildApp({
    config,
    database,
    cipher: createCipher(config.appKey!),
    logger: silent,
    engineFactory: createEngineFactory({
      network: new SandboxNetwork(),
      logger: silent,
      baileysSocket: socket,
    }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as net.AddressInfo
  const base = `http://127.0.0.1:${address.port}`
  return {
    request: (method: string, path: string, options?: RequestOptions): Promise<HttpResponse> =>
      httpRequest(base, method, path, options),
    close: () => app.close(),
  }
}

type App = Awaited<ReturnType<typeof startApp>>

/** The types of the outbox events of an instance, oldest first. */
async function eventTypes(database: Database, instanceId: number): Promise<string[]> {
  const rows = await database.db
    .selectFrom('events')
    .select('type')
    .where('instance_id', '=', instanceId)
    .orderBy('id')
    .execute()
  return rows.map((row) => row.type)
}

async function register(app: App): Promise<string> {
  const password = 'correct horse battery'
  const res = await app.request('POST', '/api/v1/auth/register', {
    body: {
      name: 'Owner',
      email: `baileys${process.pid}-${Date.now()}@example.com`,
      password,
      password_confirmation: password,
      terms_accepted: true,
    },
  })
  expect(res.status).toBe(201)
  return res.body.data.token
}

describe('Baileys instances against the WhatsApp simulator', () => {
  let sim: WaSimulator
  let testDb: TestDatabase
  let app: App
  let token: string
  let uuid: string
  let instanceId: number
  const socket = () => ({ waWebSocketUrl: sim.url, connectTimeoutMs: 10_000 })

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    testDb = await createTestDatabase()
    app = await startApp(testDb.database, testDb.url, socket())
    token = await register(app)
  })
  afterAll(async () => {
    await app?.close()
    await sim?.close()
    await testDb?.dispose()
  })

  it('links by QR, sends through the queue and receives, with the session in the database', async () => {
    const created = await app.request('POST', '/api/v1/instances', {
      token,
      body: { name: 'Real', engine: 'baileys', send_delay_min: 0, send_delay_max: 0 },
    })
    expect(created.status).toBe(201)
    uuid = created.body.data.uuid
    instanceId = created.body.data.id
    const qr = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token })
      expect(res.body.data.qr_code_text).toBeTruthy()
      return res.body.data.qr_code_text as string
    }, 15_000)
    const phone = sim.createPhone({ pushName: 'Owner' })
    await phone.scanQr(qr)
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}`, { token })
      expect(res.body.data).toMatchObject({ status: 'connected', phone_number: phone.phoneNumber })
    }, 15_000)

    const alice = sim.createContact({ pushName: 'Alice' })
    const sent = await app.request('POST', '/api/v1/messages/send', {
      token,
      body: { instance_id: uuid, recipient: `+${alice.phoneNumber}`, message: 'hello from the API' },
    })
    expect(sent.status).toBe(201)
    const got = await alice.waitForMessage((m) => textOf(m) === 'hello from the API', 15_000)
    const message = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${sent.body.data.uuid}`, { token })
      expect(res.body.data.status).toBe('delivered')
      return res.body.data
    }, 15_000)
    // The id stored before sending is the one WhatsApp saw.
    expect(message.whatsapp_message_id).toBe(got.id)

    const reply = await alice.sendText(phone.jid, 'hi back')
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages?instance_id=${uuid}&direction=incoming`, {
        token,
      })
      expect(res.body.data.map((m: { whatsapp_message_id: string }) => m.whatsapp_message_id)).toContain(
        reply,
      )
    }, 15_000)

    const creds = await testDb.database.db
      .selectFrom('instance_auth_creds')
      .select('instance_id')
      .where('instance_id', '=', instanceId)
      .execute()
    expect(creds).toHaveLength(1)
    expect(sim.errors).toEqual([])
  })

  it('reconnects from the stored session after a restart, without a QR', async () => {
    await app.close()
    app = await startApp(testDb.database, testDb.url, socket())
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}`, { token })
      expect(res.body.data.status).toBe('connected')
    }, 20_000)
    const types = await eventTypes(testDb.database, instanceId)
    expect(types.filter((type) => type === 'instance.connected')).toHaveLength(2)
    // Every QR was shown before the first connection: the restart needed none.
    expect(types.lastIndexOf('instance.qr')).toBeLessThan(types.indexOf('instance.connected'))
  })
})

describe('a Baileys instance that cannot reach WhatsApp', () => {
  let testDb: TestDatabase
  let app: App
  let token: string

  beforeAll(async () => {
    testDb = await createTestDatabase()
    app = await startApp(testDb.database, testDb.url, {
      waWebSocketUrl: `ws://127.0.0.1:${await freePort()}/ws/chat`,
      connectTimeoutMs: 500,
    })
    token = await register(app)
  })
  afterAll(async () => {
    await app?.close()
    await testDb?.dispose()
  })

  it('keeps the server answering while the supervisor retries with backoff', async () => {
    const created = await app.request('POST', '/api/v1/instances', {
      token,
      body: { name: 'Offline', engine: 'baileys' },
    })
    expect(created.status).toBe(201)
    const { uuid, id } = created.body.data
    const failed = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}`, { token })
      expect(res.status).toBe(200)
      expect(['disconnected', 'connecting']).toContain(res.body.data.status)
      expect(res.body.data.last_error).toBeTruthy()
      return res.body.data
    }, 10_000)
    expect(failed.connected).toBe(false)

    // Retried by the supervisor: more than one attempt, each one reported.
    await eventually(async () => {
      const types = await eventTypes(testDb.database, id)
      expect(types.filter((type) => type === 'instance.disconnected').length).toBeGreaterThanOrEqual(2)
    }, 15_000)
    const row = await testDb.database.db
      .selectFrom('instances')
      .select('desired_connected')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(Boolean(row.desired_connected)).toBe(true)

    // Everything else keeps answering, the instance's own endpoints included.
    expect((await app.request('GET', '/health')).status).toBe(200)
    expect((await app.request('GET', `/api/v1/instances/${uuid}/status`, { token })).status).toBe(200)
    const qr = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token })
    expect(qr.status).toBe(200)
    expect(qr.body.data.qr_code_text).toBeNull()
    const reconnect = await app.request('POST', `/api/v1/instances/${uuid}/reconnect`, { token })
    expect(reconnect.status).toBe(200)
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token,
      body: { instance_id: uuid, recipient: '+15550009999', message: 'waits for a connection' },
    })
    expect(queued.status).toBe(201)
    expect(queued.body.data.status).toBe('pending')
  })
})
