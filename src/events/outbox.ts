import { EventEmitter } from 'node:events'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'

/** What every consumer (webhooks, the live stream, automation) receives: the webhook envelope. */
export interface EventEnvelope {
  /** Stable event id; consumers deduplicate on it. */
  id: string
  event: string
  instance_uuid: string | null
  timestamp: string
  data: Record<string, unknown>
}

export interface StoredEvent extends EventEnvelope {
  seq: number
  tenantId: number
  instanceId: number | null
}

export interface NewEvent {
  tenantId: number
  instanceId: number | null
  instanceUuid: string | null
  type: string
  data: Record<string, unknown>
}

/**
 * Appends an event to the outbox. Call it with the transaction of the change that caused the
 * event, so that a crash can delay the event but never lose it.
 */
export async function appendEvent(db: Kysely<DB>, clock: Clock, event: NewEvent): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: newUuid(),
    event: event.type,
    instance_uuid: event.instanceUuid,
    timestamp: clock.now().toISOString(),
    data: event.data,
  }
  await db
    .insertInto('events')
    .values({
      uuid: envelope.id,
      tenant_id: event.tenantId,
      instance_id: event.instanceId,
      type: event.type,
      payload: toJson(envelope),
      created_at: envelope.timestamp,
    })
    .execute()
  return envelope
}

export type EventHandler = (events: StoredEvent[]) => Promise<void>

/**
 * Reads the outbox in order and hands each batch to every subscribed consumer, remembering per
 * consumer how far it got (in `event_cursors`), so that after a restart nothing is skipped.
 * It wakes when this process appends (`notify`) and polls for what other processes wrote.
 */
export function createEventDispatcher(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  pollMs?: number
}) {
  const { db, logger } = deps
  const consumers = new Map<string, EventHandler>()
  const wake = new EventEmitter()
  let running = false
  let timer: NodeJS.Timeout | null = null
  let pumping: Promise<void> | null = null
  let again = false

  async function cursorOf(consumer: string): Promise<number> {
    const row = await db
      .selectFrom('event_cursors')
      .select('last_event_id')
      .where('consumer', '=', consumer)
      .executeTakeFirst()
    if (row) return row.last_event_id
    // A new consumer starts from now: it has no business replaying history it never asked for.
    const last = await db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst()
    const start = Number(last?.max ?? 0)
    await saveCursor(consumer, start)
    return start
  }

  async function saveCursor(consumer: string, lastEventId: number): Promise<void> {
    const updatedAt = deps.clock.now().toISOString()
    await db
      .insertInto('event_cursors')
      .values({ consumer, last_event_id: lastEventId, updated_at: updatedAt })
      .onConflict((oc) =>
        oc.column('consumer').doUpdateSet({ last_event_id: lastEventId, updated_at: updatedAt }),
      )
      .execute()
  }

  async function pumpConsumer(consumer: string, handler: EventHandler): Promise<void> {
    let cursor = await cursorOf(consumer)
    for (;;) {
      const rows = await db
        .selectFrom('events')
        .select(['id', 'tenant_id', 'instance_id', 'payload'])
        .where('id', '>', cursor)
        .orderBy('id')
        .limit(500)
        .execute()
      if (rows.length === 0) return
      const batch = rows.map((row) => ({
        ...parseJson<EventEnvelope>(row.payload, {} as EventEnvelope),
        seq: row.id,
        tenantId: row.tenant_id,
        instanceId: row.instance_id,
      }))
      await handler(batch)
      cursor = rows[rows.length - 1]!.id
      await saveCursor(consumer, cursor)
    }
  }

  async function pump(): Promise<void> {
    for (const [consumer, handler] of consumers) {
      try {
        await pumpConsumer(consumer, handler)
      } catch (error) {
        // The cursor did not move: the same events are offered again on the next pass.
        logger.error({ err: error, consumer }, 'event consumer failed')
      }
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

  wake.on('notify', schedule)

  return {
    subscribe(consumer: string, handler: EventHandler): void {
      consumers.set(consumer, handler)
    },
    /** Tells the dispatcher that this process appended events (after the transaction committed). */
    notify(): void {
      wake.emit('notify')
    },
    start(): void {
      running = true
      timer = setInterval(schedule, deps.pollMs ?? 1000)
      timer.unref()
      schedule()
    },
    async stop(): Promise<void> {
      running = false
      if (timer) clearInterval(timer)
      await pumping
    },
  }
}

export type EventDispatcher = ReturnType<typeof createEventDispatcher>
