import { type Static, Type } from '@sinclair/typebox'
import { Nullable } from '../http/schema.js'

const Match = Type.Union([Type.Literal('equals'), Type.Literal('contains'), Type.Literal('starts_with')], {
  description: 'How a keyword matches the text; always case- and accent-insensitive',
})

export const Trigger = Type.Union(
  [
    Type.Object({ type: Type.Literal('any') }, { description: 'Every incoming message' }),
    Type.Object(
      { type: Type.Literal('first_message') },
      { description: 'The first message of a conversation' },
    ),
    Type.Object(
      {
        type: Type.Literal('keyword'),
        keywords: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50 }),
        match: Type.Optional(Match),
      },
      { description: 'Any of the keywords (default match: contains)' },
    ),
    Type.Object(
      {
        type: Type.Literal('regex'),
        pattern: Type.String({ minLength: 1, maxLength: 500 }),
        flags: Type.Optional(Type.String({ pattern: '^[imsu]*$', maxLength: 4 })),
      },
      { description: 'A regular expression tested against the text' },
    ),
  ],
  { description: 'When the flow runs' },
)

const Branch = Type.Object({
  match: Type.Union([Match, Type.Literal('regex')]),
  value: Type.String({ minLength: 1, maxLength: 500 }),
  goto: Type.Integer({ minimum: 0, description: 'Index of the step to continue with' }),
})

export const Step = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('send_text'), text: Type.String({ minLength: 1, maxLength: 4096 }) },
      { description: 'Send a text; {{contact.name}}, {{contact.phone}}, {{message.text}} are replaced' },
    ),
    Type.Object({
      type: Type.Literal('send_media'),
      media_url: Type.String({ format: 'uri' }),
      media_type: Type.Union([
        Type.Literal('image'),
        Type.Literal('video'),
        Type.Literal('audio'),
        Type.Literal('document'),
      ]),
      caption: Type.Optional(Type.String({ maxLength: 4096 })),
      filename: Type.Optional(Type.String({ maxLength: 255 })),
    }),
    Type.Object(
      {
        type: Type.Literal('wait_reply'),
        branches: Type.Array(Branch, { maxItems: 50 }),
        default_goto: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      {
        description:
          'Wait for the contact to answer, then continue at the first branch that matches (or default_goto; else stop)',
      },
    ),
    Type.Object(
      {
        type: Type.Literal('add_tag'),
        tag: Type.String({ minLength: 1, maxLength: 64, description: 'Tag uuid, id or name' }),
      },
      { description: 'Tag the conversation' },
    ),
    Type.Object(
      {
        type: Type.Literal('create_lead'),
        board_id: Type.Optional(Type.String()),
        column_id: Type.Optional(Type.String()),
        title: Type.Optional(Type.String({ maxLength: 255 })),
      },
      { description: 'Create a kanban lead for the contact' },
    ),
    Type.Object(
      { type: Type.Literal('handover'), reason: Type.Optional(Type.String({ maxLength: 255 })) },
      { description: 'Hand the conversation over to a human: automation pauses with this reason' },
    ),
  ],
  { description: 'One step of a flow' },
)

export type TriggerSpec = Static<typeof Trigger>
export type StepSpec = Static<typeof Step>

export const FlowBody = Type.Object({
  instance_id: Type.String({ description: 'Instance uuid or id' }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  trigger: Trigger,
  steps: Type.Array(Step, { minItems: 1, maxItems: 100 }),
  is_active: Type.Optional(Type.Boolean({ description: 'Default true' })),
  priority: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_000, description: 'Lower runs first (default 100)' }),
  ),
})

export const FlowUpdate = Type.Partial(Type.Omit(FlowBody, ['instance_id']))

export const Flow = Type.Object({
  id: Type.String({ description: 'The uuid' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  instance_id: Type.Integer(),
  name: Type.String(),
  trigger: Trigger,
  steps: Type.Array(Step),
  is_active: Type.Boolean(),
  priority: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const HttpBotConfig = Type.Object({
  url: Type.String({ format: 'uri', description: 'Receives the conversation context as a signed POST' }),
  secret: Type.Optional(
    Type.String({ minLength: 8, maxLength: 255, description: 'Signs the POST (X-Zapini-Signature)' }),
  ),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 60_000, description: 'Default 10000' })),
})

export const OpenAiConfig = Type.Object({
  base_url: Type.Optional(
    Type.String({
      format: 'uri',
      description: 'An OpenAI-compatible API; the tenant AI settings when absent',
    }),
  ),
  api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  system_prompt: Type.Optional(Type.String({ maxLength: 20_000 })),
  history_window: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'Messages of context (default 10)' }),
  ),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 120_000, description: 'Default 30000' })),
})

export const IntegrationBody = Type.Object({
  instance_id: Type.String(),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  type: Type.Union([Type.Literal('http_bot'), Type.Literal('openai')]),
  config: Type.Union([HttpBotConfig, OpenAiConfig]),
  is_active: Type.Optional(Type.Boolean({ description: 'Default true' })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
})

export const IntegrationUpdate = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  config: Type.Optional(Type.Union([HttpBotConfig, OpenAiConfig])),
  is_active: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
})

export const Integration = Type.Object({
  id: Type.String({ description: 'The uuid' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  instance_id: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'Secrets masked' }),
  is_active: Type.Boolean(),
  priority: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const AutomationState = Type.Object({
  conversation_id: Type.String({ description: 'The conversation uuid' }),
  numeric_id: Type.Integer(),
  automation_status: Type.String({ enum: ['active', 'paused', 'none'] }),
  is_automation_active: Type.Boolean(),
  can_send_manual_message: Type.Boolean(),
  automation_paused: Type.Boolean(),
  paused_at: Nullable(Type.String()),
  automation_paused_at: Nullable(Type.String()),
  paused_by: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  pause_reason: Nullable(Type.String()),
  resumed_at: Nullable(Type.String()),
})

export const BulkBody = Type.Object({
  conversation_ids: Type.Array(Type.Union([Type.String(), Type.Integer()]), { minItems: 1, maxItems: 100 }),
  reason: Type.Optional(Type.String({ maxLength: 255 })),
})

export const BulkError = Type.Object({
  conversation_id: Type.Union([Type.String(), Type.Integer()]),
  code: Type.String(),
  error: Type.String(),
})
