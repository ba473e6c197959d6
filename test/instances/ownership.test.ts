import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { freePort, ServerProcess, serverEnv } from '../helpers/server-process.js'
import { eventually } from '../helpers/wait.js'
import { disposeQuietly } from './sandbox-app.js'

/** The bound the design promises for a crashed process's instances to come back elsewhere. */
const TAKEOVER_MS = 30_000
const INSTANCES = 6

/**
 * The spans of time during which each instance was connected in a process, from the engines' log:
 * from before the connection opened until after it closed (or until the process ended).
 */
function spans(server: ServerProcess): Map<number, [number, number][]> {
  const byInstance = new Map<number, [number, number][]>()
  const open = new Map<number, number>()
  for (const h of [...server.holdings].sort((x, y) => x.at - y.at)) {
    const list = byInstance.get(h.instance) ?? []
    byInstance.set(h.instance, list)
    if (h.open) {
      // Opened twice within one process without closing in between: one connection too many.
      expect(open.has(h.instance), `${server.name} opened instance ${h.instance} twice`).toBe(false)
      open.set(h.instance, h.at)
    } else if (open.has(h.instance)) {
      list.push([open.get(h.instance)!, h.at])
      open.delete(h.instance)
    }
  }
  const end = server.exitedAt ?? Number.POSITIVE_INFINITY
  for (const [instance, from] of open) byInstance.get(instance)!.push([from, end])
  return byInstance
}

/**
 * Two `zapini serve` processes on one PostgreSQL database share the WhatsApp instances through
 * leases: each instance is held by exactly one of them, and a process that dies loses its
 * instances to the other within the lease time. SQLite is one process's embedded database, so
 * there is nothing to share there.
 */
describe.skipIf(TEST_DB !== 'postgres')(
  'instance ownership across two server processes (PostgreSQL only: SQLite serves one process)',
  () => {
    let testDb: TestDatabase
    let dataDir: string
    let env: NodeJS.ProcessEnv
    const servers: ServerProcess[] = []

    beforeAll(async () => {
      testDb = await createTestDatabase()
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-ownership-'))
      // The lease settings are the defaults: the 30 s bound is asserted as production runs.
      env = serverEnv(testDb.url, {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        RATE_LIMIT_MAX: '0',
        DEFAULT_ENGINE: 'sandbox',
      })
    })
    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL')
      if (testDb) await disposeQuietly(testDb)
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    })

    async function start(name: string): Promise<ServerProcess> {
      const server = new ServerProcess(name, env, await freePort())
      servers.push(server)
      await server.ready()
      return server
    }

    const db = () => testDb.database.db
    const leases = () =>
      db()
        .selectFrom('instances')
        .select(['id', 'uuid', 'owner_id', 'status', 'connected_at'])
        .orderBy('id')
        .execute()

    it('splits the instances, never opens one twice, and takes over those of a killed process within 30 s', async () => {
      const a = await start('A')
      const { token } = await a.register({
        name: 'Owner',
        email: 'cluster@example.com',
        password: 'correct horse battery',
      })

      // Six linked instances, all on A: each is held where it was created.
      const uuids: string[] = []
      for (let i = 0; i < INSTANCES; i++) {
        const created = await a.request('POST', '/instances', { token, body: { name: `Line ${i + 1}` } })
        expect(created.status).toBe(201)
        uuids.push(created.body.data.uuid)
      }
      for (const [i, uuid] of uuids.entries()) {
        await eventually(async () => {
          const qr = await a.request('GET', `/instances/${uuid}/qr`, { token })
          expect(qr.body.data.status).toBe('qr_ready')
        }, 20_000)
        const scanned = await a.request('POST', `/sandbox/instances/${uuid}/scan`, {
          token,
          body: { phone_number: `1555000200${i}` },
        })
        expect(scanned.status, scanned.text).toBe(200)
      }
      await eventually(async () => {
        const rows = await leases()
        expect(rows.map((r) => r.status)).toEqual(Array(INSTANCES).fill('connected'))
      }, 20_000)
      const nodeA = (await leases())[0]!.owner_id!
      expect((await leases()).map((r) => r.owner_id)).toEqual(Array(INSTANCES).fill(nodeA))

      // B joins: A hands back what is over its share, B takes it.
      const b = await start('B')
      const split = await eventually(
        async () => {
          const rows = await leases()
          const onA = rows.filter((r) => r.owner_id === nodeA)
          const onB = rows.filter((r) => r.owner_id !== nodeA)
          expect(onA).toHaveLength(INSTANCES / 2)
          expect(onB).toHaveLength(INSTANCES / 2)
          expect(new Set(onB.map((r) => r.owner_id)).size).toBe(1)
          expect(rows.map((r) => r.status)).toEqual(Array(INSTANCES).fill('connected'))
          return { onA, onB }
        },
        60_000,
        200,
      )
      const nodeB = split.onB[0]!.owner_id!
      // Each process's engines agree with the lease table: one connection per instance.
      for (const [holder, other, rows] of [
        [a, b, split.onA],
        [b, a, split.onB],
      ] as const) {
        for (const row of rows) {
          expect(await holder.engineState(token, row.uuid), `${holder.name} ${row.id}`).toBe('connected')
          expect(await other.engineState(token, row.uuid), `${other.name} ${row.id}`).toBeNull()
        }
      }

      // A dies without a word: its leases lapse and B takes its instances over.
      await a.stop('SIGKILL')
      const killedAt = a.exitedAt!
      const taken = split.onA.map((r) => r.id)
      const tookMs = await eventually(
        async () => {
          const rows = await leases()
          expect(rows.map((r) => r.owner_id)).toEqual(Array(INSTANCES).fill(nodeB))
          expect(rows.map((r) => r.status)).toEqual(Array(INSTANCES).fill('connected'))
          for (const row of rows.filter((r) => taken.includes(r.id))) {
            // Connected again, by B, after A's death (A's last word was `connected` too).
            expect(new Date(row.connected_at!).getTime()).toBeGreaterThan(killedAt)
            expect(await b.engineState(token, row.uuid)).toBe('connected')
          }
          return Date.now() - killedAt
        },
        TAKEOVER_MS + 15_000,
        200,
      )
      expect(tookMs).toBeLessThanOrEqual(TAKEOVER_MS)

      // The engines' own account: no instance was connected in both processes at any moment.
      const spansA = spans(a)
      const spansB = spans(b)
      for (const row of await leases()) {
        const ofA = spansA.get(row.id) ?? []
        const ofB = spansB.get(row.id) ?? []
        expect(ofA.length, `A connected instance ${row.id}`).toBeGreaterThan(0)
        for (const [fromA, toA] of ofA) {
          for (const [fromB, toB] of ofB) {
            const apart = toA <= fromB || toB <= fromA
            expect(apart, `instance ${row.id}: A ${fromA}–${toA}, B ${fromB}–${toB}`).toBe(true)
          }
        }
      }
      // B connected A's instances only after A's death.
      for (const id of taken) {
        const last = spansB.get(id)!.at(-1)!
        expect(last[0]).toBeGreaterThan(killedAt)
      }

      // B stops cleanly and hands everything back.
      await b.stop('SIGTERM')
      const rows = await leases()
      expect(rows.map((r) => r.owner_id)).toEqual(Array(INSTANCES).fill(null))
    }, 180_000)
  },
)
