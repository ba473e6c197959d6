import { Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'
import { INSTANCE_STATUSES } from './service.js'

const Time = Nullable(Type.String({ format: 'date-time' }))

export const InstanceParams = Type.Object({
  uuid: Type.String({ description: 'The instance uuid or integer id' }),
})

export const Instance = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  name: Type.String(),
  engine: Type.String({ enum: ['baileys', 'sandbox'] }),
  status: Type.String({ enum: INSTANCE_STATUSES }),
  connected: Type.Boolean(),
  connecting: Type.Boolean(),
  phone_number: Nullable(Type.String()),
  profile_name: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  daily_limit: Type.Integer(),
  send_delay_min: Type.Integer(),
  send_delay_max: Type.Integer(),
  settings: Type.Record(Type.String(), Type.Unknown()),
  messages_sent_today: Type.Integer(),
  remaining_quota: Type.Integer(),
  can_send_messages: Type.Boolean(),
  last_error: Nullable(Type.String()),
  connected_at: Time,
  last_activity_at: Time,
  gateway_url: Type.String({ description: 'The instance gateway: direct endpoints and the whole API' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

const Settings = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Engine settings; a sandbox instance takes `auto_deliver` (boolean), `qr_ttl_seconds` (how long each QR ' +
    'is shown) and `qr_max_count` (QRs shown before the attempt ends); they apply from the next connection',
})
const DailyLimit = Type.Integer({
  minimum: 1,
  maximum: 100_000,
  description: 'Messages per day (default 500)',
})
const Delay = Type.Integer({ minimum: 0, maximum: 3600, description: 'Seconds' })

export const CreateInstanceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  engine: Type.Optional(
    Type.String({ enum: ['baileys', 'sandbox'], description: 'DEFAULT_ENGINE when absent' }),
  ),
  daily_limit: Type.Optional(DailyLimit),
  send_delay_min: Type.Optional(Delay),
  send_delay_max: Type.Optional(Delay),
  settings: Type.Optional(Settings),
})

export const UpdateInstanceBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  daily_limit: Type.Optional(DailyLimit),
  send_delay_min: Type.Optional(Delay),
  send_delay_max: Type.Optional(Delay),
  settings: Type.Optional(Settings),
})

export const ListInstancesQuery = Type.Composite([
  PageQuery,
  Type.Object({ status: Type.Optional(Type.String({ enum: INSTANCE_STATUSES })) }),
])

export const Qr = Type.Object({
  status: Type.String(),
  qr_code: Nullable(Type.String({ description: 'PNG data URL' })),
  qr_code_text: Nullable(Type.String()),
  qr: Nullable(Type.String({ description: 'Same as qr_code_text (the web docs shape)' })),
  qr_generated_at: Time,
  qr_expired: Type.Boolean(),
  message: Type.String(),
})

export const Status = Type.Object({
  status: Type.String(),
  connected: Type.Boolean(),
  connecting: Type.Boolean(),
  phone_number: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  phoneNumber: Nullable(Type.String()),
  name: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  uptime: Type.Number({ description: 'Seconds connected' }),
  last_error: Nullable(Type.String()),
  connected_at: Time,
  lastHeartbeat: Time,
  realtime: Type.Optional(Type.Object({ checked: Type.Boolean(), engine_status: Nullable(Type.String()) })),
})

const Count = (description: string) => Type.Integer({ minimum: 0, description })

/** Days, weeks (from Monday) and months start at 00:00 UTC. */
export const Stats = Type.Object({
  messages_sent_today: Count(
    'Messages sent today through the API, queued or direct: the daily quota used (days start at 00:00 UTC)',
  ),
  remaining_quota: Count('Messages the instance may still queue today'),
  daily_limit: Type.Integer(),
  messages_this_week: Count('Messages sent and received since Monday, 00:00 UTC'),
  messages_this_month: Count('Messages sent and received since the 1st of the month'),
  messages_received_today: Count('Messages received today'),
  conversations_count: Count('Conversations of the instance'),
  contacts_count: Count('Contacts of the instance'),
  failed_attempts: Count('Outgoing messages whose sending failed'),
  last_activity_at: Time,
  messages_sent_this_week: Count(
    'Messages sent since Monday: queued (whatever became of them) or sent from the phone',
  ),
  messages_received_this_week: Count('Messages received since Monday'),
  messages_sent_this_month: Count('Messages sent since the 1st of the month'),
  messages_received_this_month: Count('Messages received since the 1st of the month'),
})

export const PairingBody = Type.Object({
  phone_number: Type.String({ minLength: 8, maxLength: 32, description: 'The number of the phone to link' }),
})

export const InstanceToken = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  name: Type.String(),
  token_hint: Type.String({ description: 'Last characters of the token' }),
  last_used_at: Time,
  created_at: Type.String({ format: 'date-time' }),
})

export const NewInstanceToken = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  token: Type.String({ description: 'The sk_ token; shown only here' }),
  token_hint: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
})

export const TokenParams = Type.Object({
  uuid: Type.String(),
  id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
})
