import { type NumberOptions, type StringOptions, Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'

const Timestamp = Type.String({ format: 'date-time' })
const When = (description: string) =>
  Type.String({
    minLength: 10,
    maxLength: 40,
    description: `${description}: ISO 8601; without an offset it is read in \`timezone\``,
  })
const Ref = (description: string) => Type.String({ minLength: 1, maxLength: 64, description })

const StringOrNull = (options: StringOptions = {}) => Nullable(Type.String(options))
const IntegerOrNull = (options: NumberOptions = {}) => Nullable(Type.Integer(options))
const RefOrNull = (description: string) => StringOrNull({ minLength: 1, maxLength: 64, description })

export const Params = Type.Object({ uuid: Type.String({ description: 'The uuid or integer id' }) })

export const Appointment = Type.Object({
  id: Type.String({ description: 'The uuid (calendar items show the uuid as id)' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  title: Type.String(),
  description: Nullable(Type.String()),
  location: Nullable(Type.String()),
  contact_id: Nullable(Type.Integer()),
  contact_uuid: Nullable(Type.String()),
  contact: Nullable(
    Type.Object({
      id: Type.Integer(),
      uuid: Type.String(),
      name: Nullable(Type.String()),
      phone_number: Type.String(),
    }),
  ),
  start: Timestamp,
  end: Timestamp,
  start_local: Type.String({ description: 'The start on the clocks of `timezone`' }),
  end_local: Type.String(),
  timezone: Type.String(),
  duration_minutes: Type.Integer(),
  status: Type.String({ enum: ['scheduled', 'confirmed', 'completed', 'cancelled'] }),
  confirmed_at: Nullable(Timestamp),
  completed_at: Nullable(Timestamp),
  cancelled_at: Nullable(Timestamp),
  cancel_reason: Nullable(Type.String()),
  instance_id: Nullable(
    Type.Integer({ description: "The number that sends the reminder; the contact's own when null" }),
  ),
  reminder_minutes_before: Nullable(Type.Integer()),
  reminder_message: Nullable(Type.String()),
  reminder: Nullable(
    Type.Object({
      message_id: Nullable(Type.String({ description: 'The scheduled message (see /scheduled/{uuid})' })),
      scheduled_at: Nullable(Timestamp),
      status: Type.String({ description: 'pending, sent, delivered, read, failed or cancelled' }),
      sent_at: Nullable(Timestamp),
      error: Nullable(Type.String({ description: 'Why the reminder could not be queued' })),
    }),
  ),
  lead_id: Nullable(Type.Integer({ description: 'The lead made with to-kanban' })),
  lead_uuid: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
})

const Fields = {
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  description: Type.Optional(StringOrNull({ maxLength: 10000 })),
  location: Type.Optional(StringOrNull({ maxLength: 500 })),
  contact_id: Type.Optional(RefOrNull('A contact (uuid or id)')),
  contact: Type.Optional(RefOrNull('Same as contact_id')),
  start: Type.Optional(When('When it starts')),
  starts_at: Type.Optional(When('Same as start')),
  start_time: Type.Optional(When('Same as start')),
  end: Type.Optional(When('When it ends (after the start); one hour after it when absent')),
  ends_at: Type.Optional(When('Same as end')),
  end_time: Type.Optional(When('Same as end')),
  timezone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone; yours (PATCH /auth/me) or UTC when absent',
    }),
  ),
  status: Type.Optional(Type.String({ enum: ['scheduled', 'confirmed', 'completed', 'cancelled'] })),
  reminder_minutes_before: Type.Optional(
    IntegerOrNull({
      minimum: 0,
      maximum: 43200,
      description: 'A WhatsApp reminder to the contact this long before the start; null for none',
    }),
  ),
  reminder_message: Type.Optional(
    StringOrNull({
      minLength: 1,
      maxLength: 4096,
      description: 'The reminder text instead of the default one',
    }),
  ),
  instance_id: Type.Optional(
    RefOrNull(
      "The WhatsApp number (instance uuid or id) that sends the reminder; the contact's own when absent",
    ),
  ),
}

export const CreateBody = Type.Object({ ...Fields, title: Type.String({ minLength: 1, maxLength: 255 }) })
export const UpdateBody = Type.Object(Fields)

export const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    from: Type.Optional(
      Type.String({ description: 'Appointments ending after this (ISO 8601 date or date-time)' }),
    ),
    to: Type.Optional(
      Type.String({
        description: 'Appointments starting before this (a date alone includes that whole day)',
      }),
    ),
    status: Type.Optional(Type.String({ description: 'One status or a comma list' })),
    contact_id: Type.Optional(Ref('Appointments of this contact (uuid or id)')),
  }),
])

export const CancelBody = Type.Optional(
  Type.Object({
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    cancel_reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Same as reason' })),
  }),
)

export const ToKanbanBody = Type.Optional(
  Type.Object({
    board_id: Type.Optional(Ref('A board (uuid or id): its first column')),
    column_id: Type.Optional(Ref('A column (uuid or id)')),
    title: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: "The appointment's title when absent" }),
    ),
    value: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
  }),
)
