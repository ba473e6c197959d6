import { Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'
import { SUBSCRIBABLE } from './events.js'

const Time = Nullable(Type.String({ format: 'date-time' }))

const EventName = Type.String({ enum: SUBSCRIBABLE, description: 'An event name or one of its aliases' })

export const WebhookBody = Type.Object({
  webhook_url: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'Receives every event as an HTTP POST (http or https, a public address)',
  }),
  webhook_secret: Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 255,
      description:
        'Signs every request. Absent: the current secret stays; a new webhook gets a generated one, shown once',
    }),
  ),
  events: Type.Optional(
    Nullable(
      Type.Array(EventName, {
        maxItems: 50,
        description:
          'Events to receive; absent, null or empty: all. Aliases: message.incoming = message.received, ' +
          'message.outgoing = message.sent, connection.update = instance.connected + instance.disconnected, ' +
          'qr.update and instance.qr_ready = instance.qr',
      }),
    ),
  ),
  is_active: Type.Optional(Type.Boolean({ default: true })),
})

export const Webhook = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  instance_id: Type.Integer(),
  instance_uuid: Type.String(),
  webhook_url: Type.String(),
  webhook_secret: Type.String({ description: 'Masked, except in the answer that generated it' }),
  secret_shown: Type.Boolean({ description: 'Whether webhook_secret is the full secret (shown only once)' }),
  events: Nullable(Type.Array(Type.String())),
  subscribed_events: Nullable(
    Type.Array(Type.String(), { description: 'The events received, aliases resolved; null: all' }),
  ),
  is_active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const TestResult = Type.Object({
  delivered: Type.Boolean({ description: 'Whether the receiver answered 2xx within the timeout' }),
  status_code: Nullable(Type.Integer()),
  latency_ms: Type.Integer(),
  response_excerpt: Nullable(Type.String()),
  error: Nullable(Type.String()),
  delivery_id: Type.Integer({ description: 'The test in the delivery log' }),
  webhook_id: Type.String({ description: 'The X-Webhook-Id it was sent with' }),
  webhook_url: Type.String(),
})

export const Delivery = Type.Object({
  id: Type.Integer(),
  uuid: Type.String({ description: 'Sent as X-Webhook-Id and webhook-id, the same on every attempt' }),
  event: Type.String(),
  event_id: Nullable(Type.String()),
  status: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
  attempts: Type.Integer(),
  status_code: Nullable(Type.Integer({ description: 'The HTTP status of the last attempt' })),
  response_excerpt: Nullable(Type.String()),
  last_error: Nullable(Type.String()),
  duration_ms: Nullable(Type.Integer()),
  next_retry_at: Time,
  retry_until: Type.String({ format: 'date-time' }),
  last_attempt_at: Time,
  delivered_at: Time,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The body sent' }),
  attempt_log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      attempted_at: Type.String({ format: 'date-time' }),
      status_code: Nullable(Type.Integer()),
      duration_ms: Type.Integer(),
      error: Nullable(Type.String()),
      response_excerpt: Nullable(Type.String()),
    }),
  ),
})

export const DeliveriesQuery = Type.Composite([
  PageQuery,
  Type.Object({
    status: Type.Optional(Type.String({ enum: ['pending', 'delivered', 'failed'] })),
    event: Type.Optional(Type.String({ maxLength: 64 })),
  }),
])

export const DeliveryParams = Type.Object({
  uuid: Type.String({ description: 'The instance uuid or integer id' }),
  id: Type.String({ description: 'The delivery id or uuid' }),
})

export const WorkerSecret = Type.Object({
  worker_secret: Type.String({
    description:
      'Shown only here. The worker signs each request: X-Webhook-Signature = hex HMAC-SHA256 of the raw body',
  }),
  rotated: Type.Boolean({ description: 'Whether it replaced an earlier secret (which stops working now)' }),
  created_at: Type.String({ format: 'date-time' }),
})
