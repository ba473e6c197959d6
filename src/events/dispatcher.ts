import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { isPostgres, parseJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { Clock } from '../lib/clock.js'
import { compiledQuery } from './compiled.js'
import type { EventEnvelope, StoredEvent } from './outbox.js'

export type EventHandler = (events: StoredEvent[]) => Promise<void>

/** Wakes the dispatchers of the other processes sharing the database (PostgreSQL LISTEN/NOTIFY). */
export interface Wakeup {
  start(onWake: () => void): Promise<void>
  /** Tells the other processes that events were appended. */
  signal(): void
  stop(): Promise<void>
}

export interface SubscribeOptions {
  /**
   * Durable consumers keep their position in `event_cursors` and resume there after a restart
   * (webhooks). Others keep it in memory and start at the newest event (the live stream of this
   * process, which has no business replaying what its clients never saw).
   */
  durable?: boolean
  /**
   * A durable consumer whose handler is idempotent may save its position at most this often
   * (and when the dispatcher stops) instead of after every batch: after a crash it is offered
   * again what it handled since, which costs it nothing.
   */
  saveEveryMs?: number
  /**
   * For in-memory consumers: while this says false (a stream nobody listens to), the outbox is
   * not read for it; it starts again at the newest event (see `prime`).
   */
  active?: () => boolean
}

interface Consumer {
  name: string
  handler: EventHandler
  durable: boolean
  active: (() => boolean) | null
  saveEveryMs: number
  cursor: number | null
  /** When (monotonic ms) the stored position was last read, and last written. */
  readAt: number
  savedAt: number
  /** The position handled but not saved yet. */
  unsaved: number | null
  /** The first missing id after the cursor, and since when (monotonic ms) it has been missing. */
  hole: { id: number; since: number } | null
}

const BATCH = 500
/** How soon a consumer stopped at a hole looks again. */
const HOLE_RETRY_MS = 20
/** How often a durable consumer takes the progress other processes stored for it. */
const SYNC_MS = 1000

/**
 * Reads the outbox in order and hands each batch to every subscribed consumer, remembering per
 * consumer how far it got, so that after a restart nothing is skipped. It wakes when this
 * process appends (`notify`), when another process does (the wake-up channel, if any), and polls.
 *
 * Holes in the ids: PostgreSQL hands out an id when the row is inserted, not when its transaction
 * commits, so a transaction holding id 10 may commit after one holding id 11 has been read. A
 * cursor moved past 11 would skip 10 forever. So a consumer stops at the first missing id and
 * waits for it; a hole still empty after `gapGraceMs` belongs to a transaction that rolled back
 * (or to events deleted with their instance, or to sequence values lost in a crash) and is passed
 * over. This keeps delivery immediate in the common case, unlike reading only events older than
 * a fixed margin, which would delay every event by that margin. SQLite has one writer at a time,
 * so its ids become visible in order and a hole there can only be a deletion: no waiting.
 */
export function createEventDispatcher(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  pollMs?: number
  gapGraceMs?: number
  wakeup?: Wakeup | null
}) {
  const { db, logger } = deps
  const gapGraceMs = deps.gapGraceMs ?? (isPostgres(db) ? 5000 : 0)
  const consumers = new Map<string, Consumer>()
  let running = false
  let timer: NodeJS.Timeout | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let pumping: Promise<void> | null = null
  let again = false

  async function newestId(): Promise<number> {
    const last = await db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst()
    return Number(last?.max ?? 0)
  }

  // The queries of every pass, built once.
  const readCursor = compiledQuery(
    (name: string) => db.selectFrom('event_cursors').select('last_event_id').where('consumer', '=', name),
    1,
  )
  const writeCursor = compiledQuery(
    (name: string, lastEventId: number, at: string) =>
      db
        .insertInto('event_cursors')
        .values({ consumer: name, last_event_id: lastEventId, updated_at: at })
        .onConflict((oc) =>
          oc
            .column('consumer')
            .doUpdateSet({ last_event_id: lastEventId, updated_at: at })
            // Processes sharing a consumer never move its cursor back.
            .where('event_cursors.last_event_id', '<', lastEventId),
        ),
    3,
  )
  const readEvents = compiledQuery(
    (after: number) =>
      db
        .selectFrom('events')
        .select(['id', 'tenant_id', 'instance_id', 'payload'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH),
    1,
  )

  async function storedCursor(name: string): Promise<number> {
    const [row] = await readCursor(db, name)
    if (row) return row.last_event_id
    // A new consumer starts from now: it has no business replaying history it never asked for.
    const start = await newestId()
    await saveCursor(name, start)
    return start
  }

  async function saveCursor(name: string, lastEventId: number): Promise<void> {
    await writeCursor(db, name, lastEventId, deps.clock.now().toISOString())
  }

  async function advance(consumer: Consumer, cursor: number): Promise<void> {
    if (performance.now() - consumer.savedAt < consumer.saveEveryMs) {
      consumer.unsaved = cursor
      return
    }
    await saveCursor(consumer.name, cursor)
    consumer.savedAt = performance.now()
    consumer.unsaved = null
  }

  /** Saves the positions held back by `saveEveryMs` (all of them, or those held long enough). */
  async function flushCursors(all = true): Promise<void> {
    for (const consumer of consumers.values()) {
      if (consumer.unsaved === null) continue
      if (!all && performance.now() - consumer.savedAt < consumer.saveEveryMs) continue
      await saveCursor(consumer.name, consumer.unsaved).catch((error: unknown) =>
        logger.warn({ err: error, consumer: consumer.name }, 'saving an event cursor failed'),
      )
      consumer.unsaved = null
      consumer.savedAt = performance.now()
    }
  }

  /** Whether the consumer may pass over the missing id `id` now. */
  function holeExpired(consumer: Consumer, id: number): boolean {
    if (gapGraceMs <= 0) return true
    const now = performance.now()
    if (consumer.hole?.id !== id) {
      consumer.hole = { id, since: now }
      return false
    }
    if (now - consumer.hole.since < gapGraceMs) return false
    logger.debug({ consumer: consumer.name, event: id }, 'passing over a missing event id')
    return true
  }

  type Read = ReturnType<typeof readEvents>

  /** Hands the consumer everything after its cursor; answers true when it stopped at a hole. */
  async function pumpConsumer(consumer: Consumer, read: (after: number) => Read): Promise<boolean> {
    if (consumer.active && !consumer.active()) {
      consumer.cursor = null
      return false
    }
    let cursor: number
    if (consumer.durable && (consumer.cursor === null || performance.now() - consumer.readAt > SYNC_MS)) {
      // Another process sharing the consumer may have moved it on: take its progress now and then.
      const stored = await storedCursor(consumer.name)
      consumer.readAt = performance.now()
      cursor = Math.max(stored, consumer.cursor ?? stored)
    } else cursor = consumer.cursor ?? (await newestId())
    consumer.cursor = cursor
    for (;;) {
      const rows = await read(cursor)
      let expected = cursor + 1
      let stalled = false
      const batch: StoredEvent[] = []
      for (const row of rows) {
        if (row.id !== expected && !holeExpired(consumer, expected)) {
          stalled = true
          break
        }
        batch.push({
          ...parseJson<EventEnvelope>(row.payload, {} as EventEnvelope),
          seq: row.id,
          tenantId: row.tenant_id,
          instanceId: row.instance_id,
        })
        expected = row.id + 1
      }
      if (batch.length > 0) {
        await consumer.handler(batch)
        cursor = batch[batch.length - 1]!.seq
        consumer.cursor = cursor
        if (consumer.durable) await advance(consumer, cursor)
      }
      if (stalled) return true
      if (rows.length < BATCH) return false
    }
  }

  async function pump(): Promise<void> {
    // Consumers at the same position in one pass share a read of the outbox. One that reaches it
    // later may miss rows appended since; those appends call for another pass anyway.
    const reads = new Map<number, Read>()
    const read = (after: number) => {
      let rows = reads.get(after)
      if (!rows) {
        rows = readEvents(db, after)
        reads.set(after, rows)
      }
      return rows
    }
    const stalled = await Promise.all(
      [...consumers.values()].map((consumer) =>
        pumpConsumer(consumer, read).catch((error: unknown) => {
          // The cursor did not move: the same events are offered again on the next pass.
          logger.error({ err: error, consumer: consumer.name }, 'event consumer failed')
          return false
        }),
      ),
    )
    await flushCursors(false)
    if (stalled.some(Boolean) && running && !retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = null
        schedule()
      }, HOLE_RETRY_MS)
      retryTimer.unref()
    }
  }

  function schedule(): void {
    if (!running) return
    if (pumping) {
      again = true
      return
    }
    pumping = pump().finally(() => {
      pumping = null
      if (again) {
        again = false
        schedule()
      }
    })
  }

  return {
    subscribe(name: string, handler: EventHandler, options: SubscribeOptions = {}): () => void {
      const durable = options.durable ?? true
      const active = durable ? null : (options.active ?? null)
      consumers.set(name, {
        name,
        handler,
        durable,
        active,
        saveEveryMs: durable ? (options.saveEveryMs ?? 0) : 0,
        cursor: null,
        readAt: 0,
        savedAt: 0,
        unsaved: null,
        hole: null,
      })
      return () => {
        consumers.delete(name)
      }
    },
    /**
     * Fixes where an in-memory consumer starts, if it has no position yet: it is handed every
     * event appended after this resolves (a stream says it is ready only then).
     */
    async prime(name: string): Promise<void> {
      const consumer = consumers.get(name)
      if (!consumer || consumer.cursor !== null) return
      const newest = await newestId()
      consumer.cursor ??= newest
    },
    /** Tells the dispatcher that this process appended events (after the transaction committed). */
    notify(): void {
      schedule()
      deps.wakeup?.signal()
    },
    start(): void {
      running = true
      timer = setInterval(schedule, deps.pollMs ?? 1000)
      timer.unref()
      deps.wakeup?.start(schedule).catch((error: unknown) => {
        logger.warn({ err: error }, 'event wake-ups unavailable; polling only')
      })
      schedule()
    },
    async stop(): Promise<void> {
      running = false
      if (timer) clearInterval(timer)
      if (retryTimer) clearTimeout(retryTimer)
      retryTimer = null
      await pumping
      await flushCursors()
      await deps.wakeup?.stop()
    },
  }
}

export type EventDispatcher = ReturnType<typeof createEventDispatcher>
