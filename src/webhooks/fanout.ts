import type { Kysely } from 'kysely'
import { parseJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { EventEnvelope, EventHandler } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { expandEvents, wants } from './events.js'
import * as queue from './queue.js'

/**
 * The body every receiver gets: the web docs' envelope as compact JSON, so that re-serializing
 * the parsed body (the documents' Node check) gives back exactly the bytes that were signed.
 */
export function webhookBody(event: Pick<EventEnvelope, 'event' | 'instance_uuid' | 'timestamp' | 'data'>) {
  return JSON.stringify({
    event: event.event,
    instance_uuid: event.instance_uuid,
    timestamp: event.timestamp,
    data: event.data,
  })
}

/**
 * The outbox consumer of webhooks: one delivery row per (event, subscribed webhook), written
 * before the consumer's cursor moves on, so that a crash can delay a delivery but not lose it.
 */
export function webhookFanout(deps: {
  db: Kysely<DB>
  clock: Clock
  retryWindowMs: number
  onQueued: () => void
}): EventHandler {
  const { db, clock } = deps
  const filters = new Map<string, Set<string> | null>()

  function filterOf(events: unknown): Set<string> | null {
    const key = typeof events === 'string' ? events : JSON.stringify(events ?? null)
    let filter = filters.get(key)
    if (filter === undefined) {
      filter = expandEvents(parseJson<string[] | null>(events, null))
      if (filters.size > 1000) filters.clear()
      filters.set(key, filter)
    }
    return filter
  }

  return async (events) => {
    const instanceIds = [...new Set(events.map((e) => e.instanceId).filter((id) => id !== null))]
    const hooks = await queue.activeWebhooksFor(db, instanceIds)
    if (hooks.length === 0) return
    const byInstance = new Map<number, typeof hooks>()
    for (const hook of hooks)
      byInstance.set(hook.instance_id, [...(byInstance.get(hook.instance_id) ?? []), hook])

    const now = clock.now()
    const at = now.toISOString()
    const retryUntil = new Date(now.getTime() + deps.retryWindowMs).toISOString()
    const rows: queue.NewDelivery[] = []
    for (const event of events) {
      if (event.instanceId === null) continue
      for (const hook of byInstance.get(event.instanceId) ?? []) {
        if (!wants(filterOf(hook.events), event.event)) continue
        rows.push({
          uuid: newUuid(),
          tenant_id: hook.tenant_id,
          instance_id: hook.instance_id,
          webhook_id: hook.id,
          event_id: event.id,
          event: event.event,
          body: webhookBody(event),
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          retry_until: retryUntil,
          created_at: at,
          updated_at: at,
        })
      }
    }
    if (rows.length === 0) return
    await queue.insertDeliveries(db, rows)
    deps.onQueued()
  }
}
