import type { ColumnType, Generated, Selectable } from 'kysely'

type Timestamp = string
type Bool = ColumnType<boolean, boolean | undefined, boolean>

/** One outgoing webhook per instance. */
export interface WebhooksTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  url: string
  /** Encrypted with the app key (AES-256-GCM): it must be read back to sign. */
  secret: string
  /** The event names as the user gave them (aliases kept); null means every event. */
  events: unknown | null
  is_active: Bool
  created_at: Timestamp
  updated_at: Timestamp
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

/** One row per (event, webhook): written from the outbox, retried until delivered or given up. */
export interface WebhookDeliveriesTable {
  id: Generated<number>
  /** Sent as X-Webhook-Id and webhook-id; the same on every attempt, for deduplication. */
  uuid: string
  tenant_id: number
  instance_id: number
  webhook_id: number
  /** The outbox event's uuid; null for test events. */
  event_id: string | null
  event: string
  /** The exact body sent on every attempt (compact JSON). */
  body: string
  status: DeliveryStatus
  attempts: ColumnType<number, number | undefined, number>
  /** When the next attempt is due; while an attempt runs, when it is presumed lost. */
  next_attempt_at: Timestamp | null
  /** No attempt is made after this; the delivery fails instead. */
  retry_until: Timestamp
  last_attempt_at: Timestamp | null
  response_status: number | null
  response_excerpt: string | null
  last_error: string | null
  duration_ms: number | null
  delivered_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** Every attempt of a delivery, for the log. */
export interface WebhookAttemptsTable {
  id: Generated<number>
  delivery_id: number
  attempt: number
  attempted_at: Timestamp
  response_status: number | null
  response_excerpt: string | null
  error: string | null
  duration_ms: number
}

/** The secret that signs what an instance's WhatsApp worker posts to the inbound endpoints. */
export interface WorkerSecretsTable {
  instance_id: number
  tenant_id: number
  /** Encrypted with the app key: HMAC checks need it in the clear. */
  secret: string
  created_at: Timestamp
}

export type WebhookRow = Selectable<WebhooksTable>
export type DeliveryRow = Selectable<WebhookDeliveriesTable>
export type AttemptRow = Selectable<WebhookAttemptsTable>
