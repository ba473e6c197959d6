import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORWARDED_HEADER } from '../../src/http/forward.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { httpRequest, type RequestOptions } from '../helpers/http.js'
import { freePort, ServerProcess, serverEnv } from '../helpers/server-process.js'
import { eventually } from '../helpers/wait.js'
import { disposeQuietly } from './sandbox-app.js'

// Every forwarded call of this file must beat it between two processes on a loaded machine.
const FORWARD_TIMEOUT_MS = 5000

interface Line {
  id: number
  uuid: string
  /** The process that holds its connection, and the other one. */
  owner: ServerProcess
  other: ServerProcess
  phone: string
}

/**
 * Two `zapini serve` processes on one PostgreSQL database, each with its INTERNAL_URL: a request
 * that needs the live connection of an instance the other process holds is forwarded there, and
 * the caller gets the holder's answer. SQLite is one process's embedded database: nothing to forward.
 */
describe.skipIf(TEST_DB !== 'postgres')(
  'requests forwarded to the process holding the instance (PostgreSQL only: SQLite serves one process)',
  () => {
    let testDb: TestDatabase
    let dataDir: string
    let env: NodeJS.ProcessEnv
    const servers: ServerProcess[] = []
    let token: string
    const lines: Line[] = []
    const db = () => testDb.database.db

    async function start(name: string): Promise<ServerProcess> {
      const port = await freePort()
      const server = new ServerProcess(
        name,
        { ...env, INTERNAL_URL: `http://127.0.0.1:${port}`, INTERNAL_TIMEOUT_MS: String(FORWARD_TIMEOUT_MS) },
        port,
      )
      servers.push(server)
      await server.ready()
      return server
    }

    /** A request at the root of `server` (the direct endpoints), on the instance host of `line`. */
    function onInstanceHost(
      server: ServerProcess,
      line: Line,
      method: string,
      url: string,
      options: RequestOptions = {},
    ) {
      const port = new URL(server.base).port
      return httpRequest(server.base, method, url, {
        token,
        ...options,
        headers: { host: `instance-${line.id}.127.0.0.1:${port}`, ...options.headers },
      })
    }

    beforeAll(async () => {
      testDb = await createTestDatabase()
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-forwarding-'))
      env = serverEnv(testDb.url, {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        RATE_LIMIT_MAX: '0',
        DEFAULT_ENGINE: 'sandbox',
      })
      const [a, b] = await Promise.all([start('A'), start('B')])
      const owner = { name: 'Owner', email: 'forwarding@example.com', password: 'correct horse battery' }
      token = (await a!.register(owner)).token

      // An instance is held where it was created: one on each process.
      for (const [i, server] of [a!, b!].entries()) {
        const created = await server.request('POST', '/instances', { token, body: { name: `Line ${i}` } })
        expect(created.status).toBe(201)
        const { id, uuid } = created.body.data
        await eventually(async () => {
          const row = await db()
            .selectFrom('instances')
            .select('status')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
          expect(row.status).toBe('qr_ready')
        }, 20_000)
        lines.push({ id, uuid, owner: server, other: server === a ? b! : a!, phone: `1555000300${i}` })
      }
      // Each process knows where the other is, and holds the instance it created.
      for (const line of lines) {
        const holder = await db()
          .selectFrom('instances')
          .innerJoin('cluster_nodes', 'cluster_nodes.id', 'instances.owner_id')
          .select('cluster_nodes.address')
          .where('instances.id', '=', line.id)
          .executeTakeFirstOrThrow()
        expect(holder.address).toBe(`http://127.0.0.1:${new URL(line.owner.base).port}`)
      }
    }, 90_000)

    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL')
      if (testDb) await disposeQuietly(testDb)
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    })

    it('scans the QR through the process that does not hold the instance', async () => {
      for (const line of lines) {
        const scanned = await line.other.request('POST', `/sandbox/instances/${line.uuid}/scan`, {
          token,
          body: { phone_number: line.phone },
        })
        expect(scanned.status, scanned.text).toBe(200)
        expect(scanned.body.data.phone_number).toBe(line.phone)
      }
      await eventually(async () => {
        const rows = await db().selectFrom('instances').select('status').execute()
        expect(rows.map((r) => r.status)).toEqual(['connected', 'connected'])
      }, 20_000)
    })

    it("answers the live status from the holder's engine", async () => {
      for (const line of lines) {
        const res = await line.other.request('GET', `/instances/${line.uuid}/status?realtime=true`, { token })
        expect(res.status, res.text).toBe(200)
        expect(res.body.data).toMatchObject({
          status: 'connected',
          phone_number: line.phone,
          realtime: { checked: true, engine_status: 'connected' },
        })
      }
    })

    it('delivers a sandbox inbound message through the holder, which stores it; mark-read reaches its engine', async () => {
      for (const line of lines) {
        const res = await line.other.request('POST', `/sandbox/instances/${line.uuid}/inbound`, {
          token,
          body: { from: '15557770001', message: `hello ${line.id}`, push_name: 'Ana' },
        })
        expect(res.status, res.text).toBe(201)
        const whatsappId = res.body.data.whatsapp_message_id as string
        const stored = await eventually(async () => {
          const row = await db()
            .selectFrom('messages')
            .select(['instance_id', 'body', 'direction', 'conversation_id'])
            .where('whatsapp_message_id', '=', whatsappId)
            .executeTakeFirstOrThrow()
          expect(row).toMatchObject({ instance_id: line.id, body: `hello ${line.id}`, direction: 'incoming' })
          return row
        })
        const conversation = await db()
          .selectFrom('conversations')
          .select(['uuid', 'unread_count'])
          .where('id', '=', stored.conversation_id)
          .executeTakeFirstOrThrow()
        expect(conversation.unread_count).toBe(1)
        const read = await line.other.request('POST', `/conversations/${conversation.uuid}/mark-read`, {
          token,
        })
        expect(read.status, read.text).toBe(200)
        // Sent by the holder's engine; on this process it would have been 0 (not connected here).
        expect(read.body.data).toMatchObject({ unread_count: 0, read_receipts_sent: 1 })
      }
    })

    it('runs group operations and direct sends on the instance host through the holder', async () => {
      for (const line of lines) {
        const created = await onInstanceHost(line.other, line, 'POST', '/group/create', {
          body: { subject: `Team ${line.id}`, participants: ['15557770001'] },
        })
        expect(created.status, created.text).toBe(201)
        const jid = created.body.group.jid as string
        // The group lives in the holder's (simulated) WhatsApp: both processes list it.
        for (const server of [line.other, line.owner]) {
          const groups = await onInstanceHost(server, line, 'GET', '/groups')
          expect(groups.status, groups.text).toBe(200)
          expect(groups.body.groups.map((g: { jid: string }) => g.jid)).toEqual([jid])
          const platform = await server.request('GET', `/instances/${line.uuid}/groups`, { token })
          expect(platform.status, platform.text).toBe(200)
          expect(platform.body.data.groups.map((g: { jid: string }) => g.jid)).toEqual([jid])
        }
        const sent = await onInstanceHost(line.other, line, 'POST', '/send-message', {
          body: { to: '15557770001', message: 'sent at once' },
        })
        expect(sent.status, sent.text).toBe(200)
        expect(sent.body).toMatchObject({ success: true, message: 'Message sent successfully' })
      }
    })

    it('runs connection commands where the connection is: reconnect restarts the holder’s, logout unlinks it', async () => {
      const line = lines[1]!
      const since = Date.now()
      const opened = () => line.owner.holdings.filter((h) => h.instance === line.id && h.at >= since)
      const reconnected = await line.other.request('POST', `/instances/${line.uuid}/reconnect`, { token })
      expect(reconnected.status, reconnected.text).toBe(200)
      // Only the holder can restart it: without forwarding, nothing would close or open there.
      await eventually(() => expect(opened().map((h) => h.open)).toEqual([false, true]), 5_000)
      expect(line.other.holdings.filter((h) => h.instance === line.id && h.at >= since)).toEqual([])
      await eventually(async () => expect(await line.owner.engineState(token, line.uuid)).toBe('connected'))

      const loggedOut = await line.other.request('POST', `/instances/${line.uuid}/logout`, { token })
      expect(loggedOut.status, loggedOut.text).toBe(200)
      expect(loggedOut.body.data.status).toBe('logged_out')
      const keys = await db()
        .selectFrom('instance_auth_creds')
        .select('instance_id')
        .where('instance_id', '=', line.id)
        .execute()
      expect(keys).toEqual([])
      await eventually(() => expect(opened().map((h) => h.open)).toEqual([false, true, false]), 5_000)
      // Linked again, held where it was, for the tests that follow.
      const restarted = await line.owner.request('POST', `/instances/${line.uuid}/reconnect`, { token })
      expect(restarted.status, restarted.text).toBe(200)
      await eventually(async () => {
        const shown = await line.owner.request('GET', `/instances/${line.uuid}`, { token })
        expect(shown.body.data.status).toBe('qr_ready')
      }, 20_000)
      const scanned = await line.other.request('POST', `/sandbox/instances/${line.uuid}/scan`, {
        token,
        body: { phone_number: line.phone },
      })
      expect(scanned.status, scanned.text).toBe(200)
      await eventually(async () => expect(await line.owner.engineState(token, line.uuid)).toBe('connected'))
    })

    it('relays error answers of the holder unchanged', async () => {
      const line = lines[0]!
      const res = await onInstanceHost(line.other, line, 'GET', '/group/120363000000000000@g.us/metadata')
      expect(res.status, res.text).toBe(404)
      expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } })
    })

    it('never forwards a request that was forwarded already: the existing answers', async () => {
      const line = lines[0]!
      const hop = { [FORWARDED_HEADER]: '1' }
      const status = await line.other.request('GET', `/instances/${line.uuid}/status?realtime=true`, {
        token,
        headers: hop,
      })
      expect(status.status).toBe(200)
      expect(status.body.data.realtime).toEqual({ checked: false, engine_status: null })
      const inbound = await line.other.request('POST', `/sandbox/instances/${line.uuid}/inbound`, {
        token,
        headers: hop,
        body: { from: '15557770001', message: 'not forwarded' },
      })
      expect(inbound.status, inbound.text).toBe(503)
      expect(inbound.body.error.code).toBe('SERVICE_UNAVAILABLE')
      const sent = await onInstanceHost(line.other, line, 'POST', '/send-message', {
        headers: hop,
        body: { to: '15557770001', message: 'not forwarded' },
      })
      expect(sent.status, sent.text).toBe(409)
      expect(sent.body.error.code).toBe('INSTANCE_NOT_CONNECTED')
      const groups = await line.other.request('GET', `/instances/${line.uuid}/groups`, {
        token,
        headers: hop,
      })
      expect(groups.status, groups.text).toBe(409)
      const stored = await db()
        .selectFrom('messages')
        .select('id')
        .where('body', '=', 'not forwarded')
        .execute()
      expect(stored).toEqual([])
    })

    it('answers 503 in the error envelope when the holder does not answer in time', async () => {
      // A process that accepts connections and never answers holds the first line's lease.
      const sockets: net.Socket[] = []
      const silent = net.createServer((socket) => sockets.push(socket))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const line = lines[0]!
      try {
        const now = new Date().toISOString()
        await db()
          .insertInto('cluster_nodes')
          .values({
            id: 'silent-node',
            address: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
            started_at: now,
            heartbeat_at: now,
          })
          .execute()
        // The real holder loses the lease (its next round closes its engine); the silent one has it.
        await db()
          .updateTable('instances')
          .set({ owner_id: 'silent-node', lease_expires_at: new Date(Date.now() + 600_000).toISOString() })
          .where('id', '=', line.id)
          .execute()
        const began = Date.now()
        const res = await line.other.request('GET', `/instances/${line.uuid}/status?realtime=true`, { token })
        expect(res.status, res.text).toBe(503)
        expect(res.body).toEqual({
          success: false,
          error: {
            code: 'SERVICE_UNAVAILABLE',
            message: expect.stringMatching(/did not answer within 5 s/),
            details: {},
          },
        })
        expect(Date.now() - began).toBeGreaterThanOrEqual(FORWARD_TIMEOUT_MS - 50)
        // The silent process got the request as it was sent, marked as forwarded.
        expect(sockets).toHaveLength(1)
      } finally {
        for (const socket of sockets) socket.destroy()
        silent.close()
        await db()
          .updateTable('instances')
          .set({ owner_id: null, lease_expires_at: null })
          .where('id', '=', line.id)
          .where('owner_id', '=', 'silent-node')
          .execute()
        await db().deleteFrom('cluster_nodes').where('id', '=', 'silent-node').execute()
      }
    })

    it('answers 503 in the error envelope when the holder is gone and its lease has not lapsed yet', async () => {
      const line = lines[1]!
      const holder = await db()
        .selectFrom('instances')
        .select('owner_id')
        .where('id', '=', line.id)
        .executeTakeFirstOrThrow()
      await line.owner.stop('SIGKILL')
      // Killed just after a renewal, its lease would run a while yet; it is made to, so that the
      // survivor cannot take the instance over meanwhile.
      await db()
        .updateTable('instances')
        .set({ lease_expires_at: new Date(Date.now() + 600_000).toISOString() })
        .where('id', '=', line.id)
        .where('owner_id', '=', holder.owner_id)
        .execute()
      for (const [method, url, body] of [
        ['GET', `/instances/${line.uuid}/status?realtime=true`, undefined],
        ['POST', `/sandbox/instances/${line.uuid}/inbound`, { from: '15557770001', message: 'lost' }],
        ['GET', `/instances/${line.uuid}/groups`, undefined],
      ] as const) {
        const res = await line.other.request(method, url, { token, body })
        expect(res.status, `${method} ${url}: ${res.text}`).toBe(503)
        expect(res.body).toEqual({
          success: false,
          error: {
            code: 'SERVICE_UNAVAILABLE',
            message: expect.stringMatching(/cannot be reached/),
            details: {},
          },
        })
      }
    })
  },
)
