import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventDispatcher } from '../../src/events/dispatcher.js'
import { appendEvent, type StoredEvent } from '../../src/events/outbox.js'
import { systemClock } from '../../src/lib/clock.js'
import { createInstance, createTenant } from '../helpers/builders.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'

describe(`events outbox dispatcher on ${TEST_DB}`, () => {
  let testDb: TestDatabase
  let tenantId: number
  let instanceId: number

  beforeAll(async () => {
    testDb = await createTestDatabase()
    tenantId = await createTenant(testDb.database.db)
    instanceId = await createInstance(testDb.database.db, tenantId)
  })
  afterAll(() => testDb.dispose())

  const append = (db = testDb.database.db, n = 0) =>
    appendEvent(db, systemClock, {
      tenantId,
      instanceId,
      instanceUuid: null,
      type: 'message.received',
      data: { n },
    })

  function dispatcher(gapGraceMs?: number) {
    const seen: StoredEvent[] = []
    const d = createEventDispatcher({
      db: testDb.database.db,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      pollMs: 20,
      ...(gapGraceMs !== undefined ? { gapGraceMs } : {}),
    })
    const consumer = `test-${Math.random()}`
    d.subscribe(consumer, async (events) => {
      seen.push(...events)
    })
    return { d, seen, consumer }
  }

  /** A new consumer starts at the newest event; the events of a test must come after that. */
  const placed = (consumer: string) =>
    eventually(async () => {
      const cursor = await testDb.database.db
        .selectFrom('event_cursors')
        .select('last_event_id')
        .where('consumer', '=', consumer)
        .executeTakeFirst()
      expect(cursor).toBeDefined()
    })

  it('resumes a durable consumer where it stopped, and starts a new one at the newest event', async () => {
    await append()
    const name = 'resume-test'
    const seen: number[] = []
    const make = () => {
      const d = createEventDispatcher({
        db: testDb.database.db,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
      })
      d.subscribe(name, async (events) => {
        seen.push(...events.map((e) => e.data['n'] as number))
      })
      return d
    }
    const first = make()
    first.start()
    // It starts at the newest event: only what comes after is its business.
    await placed(name)
    await append(undefined, 1)
    await eventually(() => expect(seen).toEqual([1]))
    await first.stop()
    await append(undefined, 2)
    await append(undefined, 3)
    const second = make()
    second.start()
    await eventually(() => expect(seen).toEqual([1, 2, 3]))
    await second.stop()
  })

  it.runIf(TEST_DB === 'postgres')(
    'waits for an id taken by a transaction that commits after a later one',
    async () => {
      const { d, seen, consumer } = dispatcher(10_000)
      d.start()
      await placed(consumer)
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let heldId = 0
      const slow = testDb.database.db.transaction().execute(async (trx) => {
        const held = await append(trx, 10)
        const row = await trx
          .selectFrom('events')
          .select('id')
          .where('uuid', '=', held.id)
          .executeTakeFirstOrThrow()
        heldId = row.id
        await gate
      })
      await eventually(() => expect(heldId).toBeGreaterThan(0))
      await append(undefined, 11)
      d.notify()
      await new Promise((resolve) => setTimeout(resolve, 300))
      // The later event is there, but the earlier id is still in flight: nothing is handed out.
      expect(seen.map((e) => e.data['n'])).toEqual([])
      release()
      await slow
      d.notify()
      await eventually(() => expect(seen.map((e) => e.data['n'])).toEqual([10, 11]))
      expect(seen[0]!.seq).toBe(heldId)
      await d.stop()
    },
  )

  it.runIf(TEST_DB === 'postgres')(
    'passes over the id of a rolled-back transaction after the grace',
    async () => {
      const { d, seen, consumer } = dispatcher(400)
      d.start()
      await placed(consumer)
      await testDb.database.db
        .transaction()
        .execute(async (trx) => {
          await append(trx, 20)
          throw new Error('roll back')
        })
        .catch(() => {})
      const started = Date.now()
      await append(undefined, 21)
      d.notify()
      await eventually(() => expect(seen.map((e) => e.data['n'])).toEqual([21]), 3000)
      expect(Date.now() - started).toBeGreaterThanOrEqual(350)
      await d.stop()
    },
  )

  it('passes over the ids of deleted events: at once on SQLite, after the grace on PostgreSQL', async () => {
    const seen: number[] = []
    const make = () => {
      const d = createEventDispatcher({
        db: testDb.database.db,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        ...(TEST_DB === 'postgres' ? { gapGraceMs: 200 } : {}),
      })
      d.subscribe('holes-test', async (events) => {
        seen.push(...events.map((e) => e.data['n'] as number))
      })
      return d
    }
    const first = make()
    first.start()
    await new Promise((resolve) => setTimeout(resolve, 60))
    await first.stop()
    // While nobody reads: three events, the middle one deleted (as with a deleted instance).
    await append(undefined, 30)
    const doomed = await append(undefined, 31)
    await append(undefined, 32)
    await testDb.database.db.deleteFrom('events').where('uuid', '=', doomed.id).execute()
    const second = make()
    second.start()
    await eventually(() => expect(seen).toEqual([30, 32]), 3000)
    await second.stop()
  })
})
