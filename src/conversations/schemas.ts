import { Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'

const Time = Nullable(Type.String({ format: 'date-time' }))

export const ConversationParams = Type.Object({
  uuid: Type.String({ description: 'The conversation uuid or integer id' }),
})

export const TagBadge = Type.Object({ id: Type.String(), name: Type.String(), color: Type.String() })

export const Conversation = Type.Object({
  id: Type.String({ description: 'The uuid (conversations show the uuid as id)' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  instance_id: Type.Integer(),
  instance_uuid: Type.String(),
  contact_id: Nullable(Type.Integer()),
  contact_uuid: Nullable(Type.String()),
  chat_jid: Type.String(),
  contact_number: Type.String({ description: 'Digits of the number (a group: its id)' }),
  contact_name: Nullable(Type.String()),
  display_name: Type.String(),
  name: Nullable(Type.String({ description: "The chat's own name (a group's subject)" })),
  is_group: Type.Boolean(),
  profile_picture_url: Nullable(Type.String()),
  last_message: Nullable(Type.String()),
  last_message_id: Nullable(Type.Integer()),
  last_message_at: Time,
  unread_count: Type.Integer(),
  is_archived: Type.Boolean(),
  archived_at: Time,
  automation_status: Type.String({ enum: ['active', 'paused', 'none'] }),
  automation_paused: Type.Boolean(),
  paused_at: Time,
  paused_by: Nullable(Type.String()),
  pause_reason: Nullable(Type.String()),
  resumed_at: Time,
  instance: Type.Object({
    uuid: Type.String(),
    phone_number: Nullable(Type.String()),
    status: Type.String(),
  }),
  tags: Type.Optional(
    Type.Array(TagBadge, {
      description: 'With include_tags=true, format=chat, and always on one conversation',
    }),
  ),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

const Flag = (description: string) => Type.Optional(Type.Boolean({ description }))
const TagRefs = Type.Optional(
  Type.Array(Type.String(), { description: 'Tag uuids or ids: repeated, or one comma-separated value' }),
)

export const ConversationListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    instance_id: Type.Optional(Type.String({ description: 'Instance uuid or id' })),
    unread: Flag('Only conversations with unread messages'),
    search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of a name or number' })),
    is_group: Flag('Groups (true) or one-to-one chats (false)'),
    tag_id: Type.Optional(Type.String({ description: 'Conversations carrying this tag' })),
    tag_ids: TagRefs,
    'tag_ids[]': TagRefs,
    untagged: Flag('Only conversations without tags'),
    include_tags: Flag("Include each conversation's tags"),
    format: Type.Optional(
      Type.String({ enum: ['chat', 'standard'], description: 'chat: the Chat API shape' }),
    ),
  }),
])

export const HistoryQuery = Type.Object({
  before_id: Type.Optional(Type.String({ description: 'Messages older than this one (id or uuid)' })),
  after_id: Type.Optional(Type.String({ description: 'Messages newer than this one (id or uuid)' })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  format: Type.Optional(Type.String({ enum: ['chat', 'standard'] })),
})

export const Archived = Type.Object({
  archived_id: Type.String(),
  conversation_id: Type.String(),
  is_archived: Type.Boolean(),
  archived_at: Type.String({ format: 'date-time' }),
})

export const Restored = Type.Object({
  conversation_id: Type.String(),
  restored: Type.Boolean({ description: 'false when it was not archived' }),
  is_archived: Type.Boolean(),
})

export const MarkedRead = Type.Object({
  conversation_id: Type.String(),
  unread_count: Type.Integer(),
  read_receipts_sent: Type.Integer({
    description: 'Read receipts sent to WhatsApp (0 when the instance is not connected)',
  }),
})
