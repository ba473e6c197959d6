import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { freePort, ServerProcess, serverEnv } from '../helpers/server-process.js'
import { eventually } from '../helpers/wait.js'

const TOTAL = 1_000
const BATCH = 50
/**
 * The server is killed after this many messages went out, at a moment when one of them reached
 * WhatsApp but is not marked sent yet (the resend must not make it twice), or after the latest.
 */
const KILL_AFTER = 100
const KILL_LATEST = 300

describe(`crash safety of the outgoing queue (${TEST_DB})`, () => {
  let testDb: TestDatabase
  let dataDir: string
  let env: NodeJS.ProcessEnv
  const servers: ServerProcess[] = []

  beforeAll(async () => {
    testDb = await createTestDatabase()
    if (TEST_DB === 'postgres') {
      // What crashes here is the server, not PostgreSQL: a commit PostgreSQL acknowledged survives
      // that whether or not it waited for the disk. Not waiting keeps 20,000-odd commits quick.
      const name = new URL(testDb.url).pathname.slice(1)
      await sql`alter database ${sql.id(name)} set synchronous_commit = off`.execute(testDb.database.db)
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-crash-'))
    env = serverEnv(testDb.url, { DATA_DIR: dataDir, LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0' })
  })
  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL')
    await testDb?.dispose()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  async function start(port: number): Promise<ServerProcess> {
    const server = new ServerProcess('the server', env, port)
    servers.push(server)
    await server.ready()
    return server
  }

  const db = () => testDb.database.db
  const count = (rows: { n: number | string }) => Number(rows.n)

  it('sends every one of 1,000 queued messages exactly once through a SIGKILL and a restart', async () => {
    const port = await freePort()
    const first = await start(port)
    const { token } = await first.register({
      name: 'Owner',
      email: 'crash@example.com',
      password: 'correct horse battery',
    })
    const created = await first.request('POST', '/instances', {
      token,
      body: {
        name: 'Crash',
        engine: 'sandbox',
        send_delay_min: 0,
        send_delay_max: 0,
        daily_limit: 100_000,
      },
    })
    expect(created.status).toBe(201)
    const { uuid, id: instanceId } = created.body.data as { uuid: string; id: number }
    await eventually(async () => {
      const qr = await first.request('GET', `/instances/${uuid}/qr`, { token })
      expect(qr.body.data.status).toBe('qr_ready')
    }, 10_000)
    const scanned = await first.request('POST', `/sandbox/instances/${uuid}/scan`, {
      token,
      body: { phone_number: '15550001111' },
    })
    expect(scanned.status).toBe(200)
    await eventually(async () => {
      const res = await first.request('GET', `/instances/${uuid}`, { token })
      expect(res.body.data.status).toBe('connected')
    }, 10_000)

    const recorded = async () =>
      count(
        await db()
          .selectFrom('sandbox_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('instance_id', '=', uuid)
          .executeTakeFirstOrThrow(),
      )

    // Queued while the instance is disconnected (its session kept), so that all 1,000 wait in the
    // queue when it reconnects and starts sending them.
    expect((await first.request('POST', `/instances/${uuid}/disconnect`, { token })).status).toBe(200)
    const queued: string[] = []
    for (let start = 0; start < TOTAL; start += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, (_, i) =>
          first.request('POST', '/messages/send', {
            token,
            body: {
              instance_id: uuid,
              recipient: `+1555300${1000 + ((start + i) % 20)}`,
              message: `message ${start + i}`,
            },
          }),
        ),
      )
      for (const res of batch) {
        expect(res.status, res.text).toBe(201)
        queued.push(res.body.data.whatsapp_message_id)
      }
    }
    expect(new Set(queued).size).toBe(TOTAL)
    expect(await recorded()).toBe(0)
    expect((await first.request('POST', `/instances/${uuid}/reconnect`, { token })).status).toBe(200)

    // Accepted by WhatsApp (in the record) while still pending in the queue.
    const inFlight = async () =>
      count(
        await db()
          .selectFrom('messages')
          .innerJoin('sandbox_records', 'sandbox_records.message_id', 'messages.whatsapp_message_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('messages.instance_id', '=', instanceId)
          .where('messages.status', '=', 'pending')
          .executeTakeFirstOrThrow(),
      )

    // The crash, once some of them went out: the signal goes in the same check that saw the
    // moment, so that a slow test process cannot let the server send everything first.
    await eventually(
      async () => {
        const sent = await recorded()
        expect(sent >= KILL_LATEST || (sent >= KILL_AFTER && (await inFlight()) > 0)).toBe(true)
        await first.stop('SIGKILL')
      },
      20_000,
      2,
    )
    const beforeCrash = await recorded()
    expect(beforeCrash, 'the crash came before anything was sent').toBeGreaterThan(0)
    expect(beforeCrash, 'the crash came after everything was sent').toBeLessThan(TOTAL)

    // The same database, a new process: it takes the instance over once the dead one's lease
    // lapses, reconnects it from the stored session, and sends the rest.
    const second = await start(port)
    await eventually(
      async () => {
        const pending = await db()
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('instance_id', '=', instanceId)
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow()
        expect(count(pending)).toBe(0)
      },
      60_000,
      250,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nserver output:\n${second.log}`)
    })

    const instance = await db()
      .selectFrom('instances')
      .select(['status', 'phone_number'])
      .where('id', '=', instanceId)
      .executeTakeFirstOrThrow()
    expect(instance).toEqual({ status: 'connected', phone_number: '15550001111' })

    const messages = await db()
      .selectFrom('messages')
      .select(['whatsapp_message_id', 'status'])
      .where('instance_id', '=', instanceId)
      .where('direction', '=', 'outgoing')
      .execute()
    expect(messages).toHaveLength(TOTAL)
    const statuses = new Set(messages.map((m) => m.status))
    expect(
      [...statuses].every((s) => ['sent', 'delivered', 'read'].includes(s)),
      [...statuses].join(),
    ).toBe(true)
    expect(new Set(messages.map((m) => m.whatsapp_message_id))).toEqual(new Set(queued))

    // What reached WhatsApp: each id exactly once, and all of them.
    const records = await db()
      .selectFrom('sandbox_records')
      .select(['message_id', 'sender'])
      .where('instance_id', '=', uuid)
      .execute()
    const twice = records.filter((r, i) => records.findIndex((o) => o.message_id === r.message_id) !== i)
    expect(twice).toEqual([])
    expect(records).toHaveLength(TOTAL)
    expect(new Set(records.map((r) => r.message_id))).toEqual(new Set(queued))
    expect(new Set(records.map((r) => r.sender))).toEqual(new Set(['15550001111']))

    await second.stop('SIGTERM')
  }, 120_000)
})
