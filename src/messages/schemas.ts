import { Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'

const Time = Nullable(Type.String({ format: 'date-time' }))

export const MessageParams = Type.Object({
  uuid: Type.String({ description: 'The message uuid or integer id' }),
})

export const Message = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  unique_id: Type.String({ description: 'Same as uuid' }),
  instance_id: Type.Integer(),
  conversation_id: Nullable(Type.Integer()),
  whatsapp_message_id: Nullable(Type.String()),
  direction: Type.String({ enum: ['incoming', 'outgoing'] }),
  is_from_me: Type.Boolean(),
  type: Type.String(),
  message_body: Nullable(Type.String()),
  body: Nullable(Type.String()),
  content: Nullable(Type.String()),
  caption: Nullable(Type.String()),
  media_url: Nullable(Type.String()),
  media_mime_type: Nullable(Type.String()),
  media_file_name: Nullable(Type.String()),
  media_size: Nullable(Type.Integer()),
  chat_jid: Type.String(),
  sender_number: Nullable(Type.String()),
  sender_name: Nullable(Type.String()),
  recipient_number: Nullable(Type.String()),
  quoted_message_id: Nullable(Type.String()),
  mentioned_jids: Type.Array(Type.String()),
  status: Type.String({ enum: ['pending', 'sent', 'delivered', 'read', 'failed'] }),
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  retry_count: Type.Integer(),
  scheduled_at: Time,
  sent_at: Time,
  delivered_at: Time,
  read_at: Time,
  played_at: Time,
  failed_at: Time,
  edited_at: Time,
  deleted_at: Time,
  is_edited: Type.Boolean(),
  is_deleted: Type.Boolean(),
  source: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const Queued = Type.Composite([
  Message,
  Type.Object({
    delay_seconds: Type.Integer({
      description:
        "Expected wait before the message goes out: the messages queued ahead of it times the instance's mean pause, plus what is left of the current pause (for `schedule_at`, the time until then). An estimate: the queue is counted at most once a second per instance.",
    }),
    remaining_quota: Type.Integer({ description: 'Messages the instance may still send today' }),
  }),
])

export const SendBody = Type.Object({
  instance_id: Type.Optional(Type.String({ description: 'Instance uuid or id; optional with an sk_ token' })),
  recipient: Type.Optional(Type.String({ description: 'Phone number (+15551234567), or a JID' })),
  number: Type.Optional(Type.String({ description: 'Alias of recipient' })),
  to: Type.Optional(Type.String({ description: 'Alias of recipient' })),
  message: Type.String({ minLength: 1, maxLength: 4096 }),
  schedule_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'Send at this time instead of now' }),
  ),
  reply_to: Type.Optional(Type.String({ description: 'uuid, id or WhatsApp id of the message answered' })),
  quoted_message_id: Type.Optional(Type.String({ description: 'Alias of reply_to' })),
  mentions: Type.Optional(
    Type.Array(Type.String(), { maxItems: 256, description: 'Numbers mentioned as @number' }),
  ),
})

const Kind = Type.String({ enum: ['image', 'video', 'audio', 'document'] })

export const SendMediaBody = Type.Object({
  instance_id: Type.Optional(Type.String({ description: 'Instance uuid or id; optional with an sk_ token' })),
  recipient: Type.Optional(Type.String({ description: 'Phone number (+15551234567), or a JID' })),
  number: Type.Optional(Type.String({ description: 'Alias of recipient' })),
  to: Type.Optional(Type.String({ description: 'Alias of recipient' })),
  media_id: Type.Optional(Type.String({ description: 'An upload (`POST /media/upload`): its id or uuid' })),
  media_url: Type.Optional(
    Type.String({ maxLength: 2048, description: 'A public http(s) URL the server downloads now' }),
  ),
  url: Type.Optional(Type.String({ maxLength: 2048, description: 'Alias of media_url' })),
  media_type: Type.Optional({
    ...Kind,
    description: "Optional: known from the file's bytes, which must agree",
  }),
  type: Type.Optional({ ...Kind, description: 'Alias of media_type' }),
  caption: Type.Optional(Type.String({ maxLength: 4096 })),
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Shown for documents' })),
  schedule_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'Send at this time instead of now' }),
  ),
  reply_to: Type.Optional(Type.String({ description: 'uuid, id or WhatsApp id of the message answered' })),
  quoted_message_id: Type.Optional(Type.String({ description: 'Alias of reply_to' })),
})

export const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    instance_id: Type.Optional(Type.String()),
    conversation_id: Type.Optional(Type.Integer({ minimum: 1 })),
    direction: Type.Optional(Type.String({ enum: ['incoming', 'outgoing'] })),
    status: Type.Optional(Type.String({ enum: ['pending', 'sent', 'delivered', 'read', 'failed'] })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    search: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search in the text' }),
    ),
  }),
])

export const MessageStatusView = Type.Object({
  uuid: Type.String(),
  status: Type.String(),
  sent_at: Time,
  delivered_at: Time,
  read_at: Time,
  played_at: Time,
  failed_at: Time,
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  retry_count: Type.Integer(),
})

export const Reaction = Type.Object({
  emoji: Type.String(),
  reactor_jid: Type.String(),
  reactor_number: Nullable(Type.String()),
  from_me: Type.Boolean(),
  reacted_at: Type.String({ format: 'date-time' }),
})
