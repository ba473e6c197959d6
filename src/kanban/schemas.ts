import { type StringOptions, Type } from '@sinclair/typebox'
import { PageQuery } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'

const Timestamp = Type.String({ format: 'date-time' })
const Ref = (description: string) => Type.String({ minLength: 1, maxLength: 64, description })

const StringOrNull = (options: StringOptions = {}) => Nullable(Type.String(options))
const RefOrNull = (description: string) => StringOrNull({ minLength: 1, maxLength: 64, description })

export const Params = Type.Object({ uuid: Type.String({ description: 'The uuid or integer id' }) })

const COLOR = { pattern: '^#[0-9A-Fa-f]{6}$', description: '#RRGGBB' }
const Color = Type.String(COLOR)
const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. USD, BRL, EUR' })
const Money = Type.Number({ minimum: 0, maximum: 1e12 })
const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 })
const CustomFields = Type.Record(Type.String(), Type.Unknown(), { description: 'Any JSON object' })

export const Column = Type.Object({
  id: Type.String({ description: 'The uuid (kanban items show the uuid as id)' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  board_id: Type.Integer(),
  board_uuid: Type.String(),
  name: Type.String(),
  color: Nullable(Type.String()),
  position: Type.Integer({ description: '0 for the first column' }),
  leads_count: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export const Board = Type.Object({
  id: Type.String({ description: 'The uuid' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  name: Type.String(),
  description: Nullable(Type.String()),
  currency: Type.String({ description: 'The currency of new leads that name none' }),
  columns: Type.Array(Column),
  created_at: Timestamp,
  updated_at: Timestamp,
})

const ColumnStats = Type.Object({
  column_id: Type.Integer(),
  column_uuid: Type.String(),
  name: Type.String(),
  position: Type.Integer(),
  leads: Type.Integer({ description: 'Every lead in the column, whatever its status' }),
  value: Type.Number(),
  open_leads: Type.Integer(),
  open_value: Type.Number(),
})

export const BoardStats = Type.Object({
  total_leads: Type.Integer(),
  open_leads: Type.Integer(),
  won_leads: Type.Integer(),
  lost_leads: Type.Integer(),
  total_value: Type.Number({ description: 'Sums of lead values, whatever their currency' }),
  open_value: Type.Number(),
  won_value: Type.Number(),
  lost_value: Type.Number(),
  conversion_rate: Type.Number({ description: 'Won leads per 100 leads' }),
  win_rate: Type.Number({ description: 'Won leads per 100 closed (won or lost) leads' }),
  columns: Type.Array(ColumnStats),
})

export const BoardWithStats = Type.Composite([Board, Type.Object({ stats: BoardStats })])

const Qualification = Type.Object({
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  temperature: Type.String({ enum: ['hot', 'warm', 'cold'] }),
  summary: Type.String(),
  next_action: Type.String(),
  model: Nullable(Type.String()),
  qualified_at: Timestamp,
})

export const Lead = Type.Object({
  id: Type.String({ description: 'The uuid' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  board_id: Type.Integer(),
  board_uuid: Type.String(),
  column_id: Type.Integer(),
  column_uuid: Type.String(),
  column_name: Type.String(),
  position: Type.Integer({ description: '0 for the top of the column' }),
  title: Type.String(),
  value: Type.Number(),
  currency: Type.String(),
  notes: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  custom_fields: CustomFields,
  status: Type.String({ enum: ['open', 'won', 'lost'] }),
  won_at: Nullable(Timestamp),
  lost_at: Nullable(Timestamp),
  lost_reason: Nullable(Type.String()),
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
  conversation_id: Nullable(Type.Integer()),
  conversation_uuid: Nullable(Type.String()),
  ai_qualification: Nullable(Qualification),
  created_by: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export const Activity = Type.Object({
  id: Type.String({ description: 'The uuid' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  lead_id: Type.Integer(),
  lead_uuid: Type.String(),
  type: Type.String({
    description: 'created, updated, moved, note, won, lost, reopened, ai_qualified',
  }),
  description: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  actor: Nullable(Type.String({ description: 'Who made the change: a user name or a token name' })),
  created_at: Timestamp,
})

export const CreateBoardBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.Optional(StringOrNull({ maxLength: 5000 })),
  currency: Type.Optional(Currency),
  columns: Type.Optional(
    Type.Array(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 255 }),
        Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), color: Type.Optional(Color) }),
      ]),
      {
        maxItems: 50,
        description:
          'Column names (or {name, color}) in order; absent: New, Contacted, Qualified, Proposal, Negotiation',
      },
    ),
  ),
})

export const UpdateBoardBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  description: Type.Optional(StringOrNull({ maxLength: 5000 })),
  currency: Type.Optional(Currency),
})

export const CreateColumnBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  color: Type.Optional(StringOrNull(COLOR)),
  position: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Where to insert it; the end when absent' }),
  ),
})

export const UpdateColumnBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  color: Type.Optional(StringOrNull(COLOR)),
  position: Type.Optional(Type.Integer({ minimum: 0, description: 'Moves the column within its board' })),
})

export const ReorderBody = Type.Object({
  column_ids: Type.Array(Ref('A column uuid or id'), {
    minItems: 1,
    maxItems: 100,
    description: 'Every column of the board, in the new order',
  }),
})

export const DeleteColumnQuery = Type.Object({
  target_column_id: Type.Optional(
    Ref('Where the column’s leads go (a column of the same board); required when it holds leads'),
  ),
})

export const LeadsQuery = Type.Composite([
  PageQuery,
  Type.Object({
    column_id: Type.Optional(Ref('Only this column (uuid or id)')),
    status: Type.Optional(Type.String({ enum: ['open', 'won', 'lost'] })),
    search: Type.Optional(
      Type.String({ maxLength: 200, description: "In the title, notes and the contact's name or number" }),
    ),
    tag: Type.Optional(Type.String({ maxLength: 50, description: 'Leads carrying this tag (any case)' })),
    contact_id: Type.Optional(Ref('Leads of this contact (uuid or id)')),
    value_min: Type.Optional(Money),
    value_max: Type.Optional(Money),
    created_from: Type.Optional(
      Type.String({ description: 'ISO 8601 date or date-time; without an offset, in your time zone' }),
    ),
    created_to: Type.Optional(
      Type.String({
        description: 'ISO 8601 date (the whole day) or date-time; without an offset, in your time zone',
      }),
    ),
  }),
])

const LeadFields = {
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  value: Type.Optional(Money),
  currency: Type.Optional(Currency),
  notes: Type.Optional(StringOrNull({ maxLength: 10000 })),
  tags: Type.Optional(TagList),
  custom_fields: Type.Optional(CustomFields),
  status: Type.Optional(Type.String({ enum: ['open', 'won', 'lost'] })),
}

export const CreateLeadBody = Type.Object({
  ...LeadFields,
  title: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Required unless a contact or conversation names the lead',
    }),
  ),
  board_id: Type.Optional(Ref('A board (uuid or id): its first column when column_id is absent')),
  column_id: Type.Optional(
    Ref('A column (uuid or id); the first board’s first column when neither is given'),
  ),
  position: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Place in the column; the end when absent' }),
  ),
  contact_id: Type.Optional(Ref('A contact (uuid or id)')),
  conversation_id: Type.Optional(Ref('A conversation (uuid or id); its contact is linked too')),
})

export const UpdateLeadBody = Type.Object({
  ...LeadFields,
  contact_id: Type.Optional(RefOrNull('A contact (uuid or id); null unlinks')),
  conversation_id: Type.Optional(RefOrNull('A conversation (uuid or id); null unlinks')),
  column_id: Type.Optional(Ref('Moves the lead to this column (as POST /move does)')),
  position: Type.Optional(Type.Integer({ minimum: 0 })),
})

export const MoveBody = Type.Object({
  column_id: Ref('The column to move to (uuid or id), of any board of yours'),
  position: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Place in the column; the end when absent' }),
  ),
})

export const WonBody = Type.Optional(
  Type.Object({
    value: Type.Optional(Money),
    note: Type.Optional(Type.String({ maxLength: 10000 })),
  }),
)

export const LostBody = Type.Optional(
  Type.Object({
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    lost_reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Same as reason' })),
    note: Type.Optional(Type.String({ maxLength: 10000 })),
  }),
)

export const NoteBody = Type.Object({
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 10000 })),
  content: Type.Optional(Type.String({ minLength: 1, maxLength: 10000, description: 'Same as note' })),
})

export const ActivitiesQuery = Type.Composite([
  PageQuery,
  Type.Object({ type: Type.Optional(Type.String({ maxLength: 30 })) }),
])

export const QualifyBody = Type.Optional(
  Type.Object({
    messages_limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 200, description: 'How many of the latest messages to read (30)' }),
    ),
  }),
)

export const QualifyResult = Type.Object({
  lead: Lead,
  qualification: Qualification,
  messages_used: Type.Integer({ description: 'How many conversation messages the provider read' }),
})
