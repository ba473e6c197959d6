import { Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'
import { MAX_IMPORT } from './import.js'

const Text = (maxLength = 255, description?: string) =>
  Type.Optional(Nullable(Type.String({ maxLength, ...(description ? { description } : {}) })))

export const ContactParams = Type.Object({
  uuid: Type.String({ description: 'The contact uuid or integer id' }),
})

export const Contact = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  instance_id: Type.Integer(),
  phone_number: Type.String({ description: 'Digits only, E.164 without +' }),
  jid: Type.String(),
  name: Nullable(Type.String()),
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  display_name: Nullable(Type.String()),
  push_name: Nullable(Type.String({ description: 'The name the contact chose in WhatsApp' })),
  email: Nullable(Type.String()),
  company: Nullable(Type.String()),
  job_title: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  custom_fields: Type.Record(Type.String(), Type.Unknown()),
  profile_picture_url: Nullable(Type.String()),
  is_business: Type.Boolean(),
  is_group: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

const fields = {
  name: Text(),
  first_name: Text(),
  last_name: Text(),
  display_name: Text(),
  email: Text(255, 'An e-mail address'),
  company: Text(),
  job_title: Text(),
  notes: Text(10_000),
  custom_fields: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
}
const Phone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: '+15551234567, 15551234567, 5511 99999-9999 or a JID; stored as digits',
})

export const CreateContactBody = Type.Object({
  instance_id: Type.Optional(Type.String({ description: 'Instance uuid or id; optional with an sk_ token' })),
  phone_number: Phone,
  ...fields,
})

export const UpdateContactBody = Type.Object({ phone_number: Type.Optional(Phone), ...fields })

export const ContactListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    instance_id: Type.Optional(Type.String()),
    search: Type.Optional(
      Type.String({ maxLength: 200, description: 'Part of a name, number, e-mail or company' }),
    ),
    is_group: Type.Optional(Type.Boolean()),
    sort: Type.Optional(
      Type.String({ enum: ['created_at', 'updated_at', 'name', 'phone_number', 'email', 'company'] }),
    ),
    dir: Type.Optional(Type.String({ enum: ['asc', 'desc'] })),
  }),
])

export const ImportBody = Type.Object({
  instance_id: Type.Optional(Type.String({ description: 'Instance uuid or id; optional with an sk_ token' })),
  contacts: Type.Array(Type.Unknown(), {
    maxItems: MAX_IMPORT,
    description: `At most ${MAX_IMPORT} contacts, each with phone_number and any contact field`,
  }),
})

export const ImportResult = Type.Object({
  imported: Type.Integer(),
  skipped: Type.Integer({ description: 'Numbers that already had a contact, or came twice' }),
  errors: Type.Array(
    Type.Object({ index: Type.Integer(), phone_number: Nullable(Type.String()), error: Type.String() }),
  ),
})

export const ExportQuery = Type.Object({
  instance_id: Type.Optional(Type.String()),
  format: Type.Optional(Type.String({ enum: ['json', 'csv'], default: 'json' })),
})
