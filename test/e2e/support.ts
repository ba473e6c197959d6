import http from 'node:http'
import net from 'node:net'
import pg from 'pg'
import pino from 'pino'
import { expect } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { createEngineFactory } from '../../src/services.js'
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { adminUrl } from '../helpers/pg-url.js'
import { eventually } from '../helpers/wait.js'
import { type Phone, parseQr } from '../wa-sim/index.js'

/** How long background effects may take: Baileys logins and Signal work on a loaded machine. */
export const WAIT = 20_000

export type Owner = Awaited<ReturnType<TestApp['register']>>

/**
 * Zapini as production builds it, with the Baileys sockets of its instances pointed at `wsUrl`
 * (the simulator, or a relay in front of it). Only the engine factory's socket options differ
 * from production; the simulator's root key is trusted by this test process (`trustSimulator`),
 * which no server setting can do.
 */
export function startZapini(wsUrl: string, options: TestAppOptions = {}): Promise<TestApp> {
  const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' })
  return startTestApp({
    ...options,
    deps: {
      ...options.deps,
      engineFactory: createEngineFactory({
        network: new SandboxNetwork(),
        logger,
        baileysSocket: { waWebSocketUrl: wsUrl, connectTimeoutMs: 10_000 },
      }),
    },
  })
}

/**
 * Deletes the database an app kept (`keepDatabase`) once every app on it is closed. With
 * PostgreSQL it first waits for their connections to be gone: a pool reports itself ended while
 * they are still closing, and a forced drop would kill them under it (an unhandled 57P01).
 */
export async function dropKeptDatabase(app: TestApp): Promise<void> {
  if (TEST_DB === 'postgres') {
    const name = decodeURIComponent(new URL(app.databaseUrl).pathname.slice(1))
    const admin = new pg.Client({ connectionString: adminUrl() })
    await admin.connect()
    try {
      await eventually(async () => {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
          [name],
        )
        expect(rows[0]?.n).toBe(0)
      }, WAIT)
    } finally {
      await admin.end()
    }
  }
  await app.dropDatabase()
}

export interface LinkedInstance {
  id: number
  uuid: string
  /** The companion device the phone linked (`number:N@s.whatsapp.net`). */
  deviceJid: string
}

/** Creates a `baileys` instance through the API (no send delays); answers its id and uuid. */
export async function createBaileysInstance(app: TestApp, owner: Owner, name = 'Baileys') {
  const created = await app.request('POST', '/api/v1/instances', {
    token: owner.token,
    body: { name, engine: 'baileys', send_delay_min: 0, send_delay_max: 0 },
  })
  expect(created.status, created.text).toBe(201)
  expect(created.body.data.engine).toBe('baileys')
  return { id: created.body.data.id as number, uuid: created.body.data.uuid as string }
}

/** The QR `GET /instances/{uuid}/qr` shows once the instance is `qr_ready`. */
export async function waitForQr(app: TestApp, owner: Owner, uuid: string): Promise<string> {
  return eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token: owner.token })
    expect(res.status).toBe(200)
    expect(res.body.data.status).toBe('qr_ready')
    expect(res.body.data.qr_code_text).toBeTruthy()
    return res.body.data.qr_code_text as string
  }, WAIT)
}

/** `GET /instances/{uuid}/status` once it reports `status`. */
export async function waitForStatus(app: TestApp, owner: Owner, uuid: string, status: string) {
  return eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}/status`, { token: owner.token })
    expect(res.status).toBe(200)
    expect(res.body.data.status).toBe(status)
    return res.body.data
  }, WAIT)
}

/** A new `baileys` instance linked to `phone` by scanning the QR the API shows; connected. */
export async function linkedInstance(
  app: TestApp,
  owner: Owner,
  phone: Phone,
  name?: string,
): Promise<LinkedInstance> {
  const instance = await createBaileysInstance(app, owner, name)
  const qr = await waitForQr(app, owner, instance.uuid)
  parseQr(qr)
  const deviceJid = await phone.scanQr(qr)
  const status = await waitForStatus(app, owner, instance.uuid, 'connected')
  expect(status.phone_number).toBe(phone.phoneNumber)
  return { ...instance, deviceJid }
}

/** An `sk_` token bound to the instance, for the direct endpoints. */
export async function instanceToken(app: TestApp, owner: Owner, uuid: string): Promise<string> {
  const res = await app.request('POST', `/api/v1/instances/${uuid}/tokens`, {
    token: owner.token,
    body: { name: 'e2e' },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.data.token
}

export interface StoredEvent {
  type: string
  at: number
  data: Record<string, unknown>
}

/** The outbox events of an instance, oldest first. */
export async function eventsOf(database: Database, instanceId: number): Promise<StoredEvent[]> {
  const rows = await database.db
    .selectFrom('events')
    .select(['type', 'payload', 'created_at'])
    .where('instance_id', '=', instanceId)
    .orderBy('id')
    .execute()
  return rows.map((row) => {
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      data?: Record<string, unknown>
    }
    return { type: row.type, at: Date.parse(row.created_at), data: payload?.data ?? {} }
  })
}

/** How many rows of the instance's WhatsApp session are stored: creds and Signal keys. */
export async function authRows(database: Database, instanceId: number) {
  const count = async (table: 'instance_auth_creds' | 'instance_auth_keys') => {
    const row = await database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('instance_id', '=', instanceId)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  return { creds: await count('instance_auth_creds'), keys: await count('instance_auth_keys') }
}

/** The instance's message with this WhatsApp id, from `GET /messages`, once it is there. */
export async function apiMessage(
  app: TestApp,
  owner: Owner,
  uuid: string,
  whatsappId: string,
  direction: 'incoming' | 'outgoing',
) {
  return eventually(async () => {
    const res = await app.request(
      'GET',
      `/api/v1/messages?instance_id=${uuid}&direction=${direction}&per_page=100`,
      { token: owner.token },
    )
    expect(res.status).toBe(200)
    const found = (res.body.data as Array<{ whatsapp_message_id: string }>).find(
      (m) => m.whatsapp_message_id === whatsappId,
    )
    expect(found, `${direction} message ${whatsappId}`).toBeDefined()
    return found as Record<string, any>
  }, WAIT)
}

/** A GET answered as bytes (files), with its status and Content-Type. */
export function download(app: TestApp, path: string, token: string) {
  return new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
    const req = http.get(new URL(path, app.url), { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

/**
 * A TCP relay between Zapini and the simulator: while `blocked`, it cuts every connection at once,
 * as an unreachable WhatsApp would, so that reconnection attempts fail and back off.
 */
export async function startRelay(targetUrl: string) {
  const target = new URL(targetUrl)
  const sockets = new Set<net.Socket>()
  let blocked = false
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy()
      return
    }
    const upstream = net.connect(Number(target.port), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `ws://127.0.0.1:${port}${target.pathname}`,
    block() {
      blocked = true
    },
    unblock() {
      blocked = false
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
