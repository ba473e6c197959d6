import { Type } from '@sinclair/typebox'
import { GroupDetail, GroupSummary } from '../groups/schemas.js'
import { Nullable } from '../http/schema.js'
import { INSTANCE_STATUSES } from '../instances/service.js'

const Time = Nullable(Type.String({ format: 'date-time' }))
const Yes = Type.Literal(true)

const short = { minLength: 1, maxLength: 64 }
const id = { minLength: 1, maxLength: 128 }
const Recipient = Type.String({
  ...short,
  description:
    'Phone number with country code (+15551234567, 5511 99999-9999) or a JID (…@s.whatsapp.net, …@g.us)',
})
const MessageId = Type.String({ ...id, description: 'A WhatsApp message id' })
const Chat = Type.String({ ...short, description: 'The chat JID (or phone number)' })

export const DirectStatus = Type.Object({
  success: Yes,
  status: Type.String({ enum: INSTANCE_STATUSES }),
  connected: Type.Boolean(),
  connecting: Type.Boolean(),
  uptime: Type.Number({ description: 'Seconds connected' }),
  phone: Nullable(Type.String()),
  phoneNumber: Nullable(Type.String()),
  name: Nullable(Type.String({ description: 'The WhatsApp profile name' })),
  platform: Nullable(Type.String()),
  lastHeartbeat: Time,
})

export const DirectQr = Type.Object({
  success: Yes,
  status: Type.String({ enum: INSTANCE_STATUSES }),
  qr_code: Nullable(Type.String({ description: 'PNG data URL' })),
  qr_code_text: Nullable(Type.String()),
  qr: Nullable(Type.String({ description: 'Same as qr_code_text' })),
  qr_generated_at: Time,
  qr_expired: Type.Boolean(),
  message: Type.String(),
})

export const SendMessageBody = Type.Object({
  recipient: Type.Optional(Recipient),
  number: Type.Optional(Type.String({ ...short, description: 'Same as recipient' })),
  to: Type.Optional(Type.String({ ...short, description: 'Same as recipient' })),
  message: Type.String({ minLength: 1, maxLength: 4096 }),
  reply_to: Type.Optional(Type.String({ ...id, description: 'WhatsApp id of the message answered' })),
  quoted_message_id: Type.Optional(Type.String({ ...id, description: 'Same as reply_to' })),
})

export const MEDIA_TYPES = ['image', 'video', 'audio', 'document'] as const
const MediaType = Type.Union(MEDIA_TYPES.map((kind) => Type.Literal(kind)))

export const SendMediaBody = Type.Object({
  recipient: Type.Optional(Recipient),
  number: Type.Optional(Type.String({ ...short, description: 'Same as recipient' })),
  to: Type.Optional(Type.String({ ...short, description: 'Same as recipient' })),
  media_url: Type.Optional(Type.String({ maxLength: 2048, description: 'Public http(s) URL of the file' })),
  url: Type.Optional(Type.String({ maxLength: 2048, description: 'Same as media_url' })),
  media_type: Type.Optional(MediaType),
  type: Type.Optional(MediaType),
  caption: Type.Optional(Type.String({ maxLength: 4096 })),
  filename: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'File name (documents)' }),
  ),
  reply_to: Type.Optional(MessageId),
  quoted_message_id: Type.Optional(Type.String({ ...id, description: 'Same as reply_to' })),
})

export const Sent = Type.Object({
  success: Yes,
  message: Type.String(),
  message_id: Type.String({ examples: ['3EB0B430A8B7F23C1D12'] }),
  messageId: Type.String({ description: 'Same as message_id' }),
  timestamp: Type.String({ format: 'date-time', description: 'When WhatsApp accepted it' }),
})

const MessageRefFields = {
  message_id: Type.Optional(MessageId),
  messageId: Type.Optional(Type.String({ ...id, description: 'Same as message_id' })),
  remote_jid: Type.Optional(Chat),
  to: Type.Optional(Type.String({ ...short, description: 'Same as remote_jid' })),
  from_me: Type.Optional(
    Type.Boolean({ description: 'Whether the message was sent by this instance (WhatsApp needs it)' }),
  ),
  participant: Type.Optional(
    Type.String({ maxLength: 64, description: 'In groups: the sender of a message that is not ours' }),
  ),
}

export const SendReactionBody = Type.Object({
  ...MessageRefFields,
  emoji: Type.String({ maxLength: 32, description: 'The reaction; an empty string removes it' }),
})

export const DeleteMessageBody = Type.Object(MessageRefFields)

export const Reacted = Type.Object({
  success: Yes,
  message: Type.String(),
  message_id: Type.String({ description: 'The message reacted to' }),
  messageId: Type.String(),
  emoji: Type.String(),
  reaction_id: Type.String({ description: 'WhatsApp id of the reaction itself' }),
  timestamp: Type.String({ format: 'date-time' }),
})

export const Deleted = Type.Object({
  success: Yes,
  message: Type.String(),
  message_id: Type.String(),
  messageId: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
})

export const DirectGroups = Type.Object({ success: Yes, groups: Type.Array(GroupSummary) })

export const DirectCreateGroupBody = Type.Object({
  subject: Type.String({ minLength: 1, maxLength: 100, description: 'Group name' }),
  participants: Type.Array(Type.String({ minLength: 3, maxLength: 64, description: 'Phone number or JID' }), {
    minItems: 1,
    maxItems: 1024,
  }),
})

export const DirectGroupCreated = Type.Object({ success: Yes, message: Type.String(), group: GroupDetail })

export const DirectGroupParams = Type.Object({
  jid: Type.String({ description: 'The group JID (120363…@g.us), URL-encoded or not' }),
})

export const DirectGroupMetadata = Type.Composite([Type.Object({ success: Yes }), GroupDetail])

export const ConnectionChanged = Type.Object({
  success: Yes,
  message: Type.String(),
  status: Type.String({ enum: INSTANCE_STATUSES }),
})
