import type { Generated, Selectable } from 'kysely'

/** The outbox: one row per event, written in the transaction of the change that caused it. */
export interface EventsTable {
  id: Generated<number>
  /** The event's stable id, which consumers deduplicate on. */
  uuid: string
  tenant_id: number
  instance_id: number | null
  type: string
  payload: unknown
  created_at: string
}

export interface EventCursorsTable {
  consumer: string
  last_event_id: number
  updated_at: string
}

export type EventRow = Selectable<EventsTable>
