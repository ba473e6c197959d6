import type { Kysely } from 'kysely'
import { toJson } from '../db/dialect.js'
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
  return (await appendEvents(db, clock, [event]))[0]!
}

/** Events per statement: well under the bound-parameter limits of both databases. */
const CHUNK = 500

/** Appends events to the outbox in this order, in one statement (see `appendEvent`). */
export async function appendEvents(
  db: Kysely<DB>,
  clock: Clock,
  events: NewEvent[],
): Promise<EventEnvelope[]> {
  const timestamp = clock.now().toISOString()
  const rows = events.map((event) => {
    const envelope: EventEnvelope = {
      id: newUuid(),
      event: event.type,
      instance_uuid: event.instanceUuid,
      timestamp,
      data: event.data,
    }
    return {
      envelope,
      row: {
        uuid: envelope.id,
        tenant_id: event.tenantId,
        instance_id: event.instanceId,
        type: event.type,
        payload: toJson(envelope),
        created_at: timestamp,
      },
    }
  })
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('events')
      .values(rows.slice(i, i + CHUNK).map((r) => r.row))
      .execute()
  }
  return rows.map((r) => r.envelope)
}

export { createEventDispatcher, type EventDispatcher, type EventHandler } from './dispatcher.js'
