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

export { createEventDispatcher, type EventDispatcher, type EventHandler } from './dispatcher.js'
