import { Type } from '@sinclair/typebox'
import { Nullable } from '../http/schema.js'

export const GroupParams = Type.Object({
  uuid: Type.String({ description: 'The instance uuid or integer id' }),
  jid: Type.String({ description: 'The group JID (120363…@g.us), URL-encoded or not; or its bare id' }),
})

export const GroupSummary = Type.Object({
  jid: Type.String({ examples: ['120363001234567890@g.us'] }),
  subject: Type.String(),
  description: Nullable(Type.String()),
  owner: Nullable(Type.String({ description: 'JID of the creator' })),
  size: Type.Integer({ description: 'Number of participants' }),
  participants_count: Type.Integer({ description: 'Same as size (the reference spelling)' }),
  creation: Nullable(Type.Integer({ description: 'Creation time, Unix seconds' })),
  created_at: Nullable(Type.String({ format: 'date-time' })),
})

export const GroupParticipant = Type.Object({
  jid: Type.String(),
  phone: Nullable(Type.String()),
  lid: Nullable(Type.String()),
  admin: Nullable(Type.String({ enum: ['admin', 'superadmin'] })),
})

export const GroupDetail = Type.Composite([
  GroupSummary,
  Type.Object({
    announce: Type.Boolean({ description: 'Only admins may send messages' }),
    restrict: Type.Boolean({ description: 'Only admins may change the group settings' }),
    participants: Type.Array(GroupParticipant),
  }),
])

const Participant = Type.String({
  minLength: 3,
  maxLength: 64,
  description: 'A phone number with country code (5511987654321) or a JID',
})

export const ParticipantsBody = Type.Object({
  participants: Type.Array(Participant, { minItems: 1, maxItems: 256 }),
})

export const CreateGroupBody = Type.Object({
  subject: Type.String({ minLength: 1, maxLength: 100, description: 'The group name' }),
  participants: Type.Array(Participant, { minItems: 1, maxItems: 1024 }),
})

export const UpdateGroupBody = Type.Object({
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'New group name' })),
  description: Type.Optional(
    Type.String({ maxLength: 2048, description: 'New group description; empty clears it' }),
  ),
})

export const ParticipantResult = Type.Object({
  jid: Type.String(),
  phone: Nullable(Type.String()),
  status: Type.Integer({
    description:
      "WhatsApp's answer for this participant: 200 done, 403 not allowed, 404 not on WhatsApp or not in the group, 406 not for the owner, 408 recently left, 409 already in",
  }),
  success: Type.Boolean(),
  result: Type.String({ description: 'What the status means' }),
})

export const ParticipantsOutcome = Type.Object({
  jid: Type.String(),
  action: Type.String({ enum: ['add', 'remove', 'promote', 'demote'] }),
  participants: Type.Array(ParticipantResult),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
})

export const Invite = Type.Object({
  code: Type.String(),
  invite_link: Type.String(),
})

export const RevokedInvite = Type.Object({
  new_code: Type.String(),
  new_invite_link: Type.String(),
  code: Type.String({ description: 'Same as new_code' }),
  invite_link: Type.String({ description: 'Same as new_invite_link' }),
})
