import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { type ChatClient, createChatClient } from '../ai/client.js'
import { bool, parseJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { StoredEvent } from '../events/outbox.js'
import type { InstanceAuth } from '../http/auth-context.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import type { AutomationControl } from './control.js'
import type { AutomationDefinitions } from './definitions.js'
import {
  askAgent,
  type BotAnswer,
  type ConversationContext,
  callHttpBot,
  IntegrationError,
} from './integrations.js'
import * as repo from './repository.js'
import type { StepSpec, TriggerSpec } from './schemas.js'

/** What the runtime may do through other modules. */
export interface AutomationActions {
  sendText(auth: InstanceAuth, recipient: string, text: string): Promise<void>
  sendMedia?(
    auth: InstanceAuth,
    recipient: string,
    media: { url: string; type: string; caption?: string; filename?: string },
  ): Promise<void>
  addTag?(auth: InstanceAuth, conversationId: number, tag: string): Promise<void>
  createLead?(
    auth: InstanceAuth,
    conversationId: number,
    spec: { board_id?: string; column_id?: string; title?: string },
  ): Promise<void>
  /** A client on the tenant's AI provider, the default of openai integrations (throws without one). */
  tenantAi?(tenantId: number): Promise<{ client: ChatClient; timeoutMs: number }>
}

type Outcome = 'replied' | 'no_match' | 'skipped' | 'failed' | 'handover'

/** Case and accents do not matter to triggers: "Olá" matches "ola". */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
}

function matches(match: string, value: string, text: string): boolean {
  if (match === 'regex') {
    try {
      return new RegExp(value, 'i').test(text)
    } catch {
      return false
    }
  }
  const a = fold(text)
  const b = fold(value)
  return match === 'equals' ? a === b : match === 'starts_with' ? a.startsWith(b) : a.includes(b)
}

export function triggerMatches(trigger: TriggerSpec, text: string, firstMessage: boolean): boolean {
  switch (trigger.type) {
    case 'any':
      return true
    case 'first_message':
      return firstMessage
    case 'keyword':
      return trigger.keywords.some((k) => matches(trigger.match ?? 'contains', k, text))
    case 'regex':
      try {
        return new RegExp(trigger.pattern, trigger.flags ?? 'i').test(text)
      } catch {
        return false
      }
  }
}

/**
 * Runs automation on incoming messages, as a consumer of the events outbox (so it survives
 * restarts and never handles a message twice): the first matching active flow, else the first
 * active integration. Replies go through the normal queue; automation never answers our own
 * messages, never answers in groups, and sends at most `maxRepliesPerMinute` per conversation.
 */
export function createAutomationRuntime(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  control: AutomationControl
  definitions: AutomationDefinitions
  actions: AutomationActions
  maxRepliesPerMinute: number
}) {
  const { db, clock, logger, control, actions } = deps

  async function underCap(conversationId: number): Promise<boolean> {
    const since = new Date(clock.now().getTime() - 60_000).toISOString()
    return (await repo.automatedRepliesSince(db, conversationId, since)) < deps.maxRepliesPerMinute
  }

  async function handle(
    event: StoredEvent,
    hasAutomation: (instanceId: number) => Promise<boolean>,
  ): Promise<void> {
    const data = event.data as { conversation_id?: number; message?: { id?: number } }
    const messageId = data.message?.id
    if (event.event !== 'message.received' || !messageId || !data.conversation_id) return
    // Most instances have no automation: nothing more to read for their messages.
    if (event.instanceId === null || !(await hasAutomation(event.instanceId))) return
    const message = await db
      .selectFrom('messages')
      .select([
        'id',
        'uuid',
        'tenant_id',
        'instance_id',
        'direction',
        'body',
        'caption',
        'type',
        'sender_number',
        'sender_name',
        'whatsapp_message_id',
        'created_at',
      ])
      .where('id', '=', messageId)
      .executeTakeFirst()
    if (message?.direction !== 'incoming') return
    const conversation = await repo.findConversation(db, message.tenant_id, { id: data.conversation_id })
    if (!conversation || bool(conversation.is_group)) return
    if ((await control.statusOf(conversation)) !== 'active') return
    const claimed = await repo.claimMessage(db, {
      uuid: newUuid(),
      tenant_id: message.tenant_id,
      instance_id: message.instance_id,
      conversation_id: conversation.id,
      message_id: message.id,
      handler: 'pending',
      outcome: 'skipped',
      detail: null,
      created_at: clock.now().toISOString(),
    })
    if (!claimed) return

    const auth: InstanceAuth = {
      kind: 'instance',
      tenantId: message.tenant_id,
      instanceId: message.instance_id,
      tokenId: 0,
      tokenName: 'automation',
    }
    const text = message.body ?? message.caption ?? ''
    const context = { auth, conversation, message, text }
    let handler = 'none'
    let outcome: Outcome = 'no_match'
    let detail: string | null = null
    try {
      const run = await repo.waitingRun(db, conversation.id)
      const flows = await repo.activeFlows(db, message.instance_id)
      const waiting = run && flows.find((f) => f.id === run.flow_id)
      if (waiting && run) {
        handler = `flow:${waiting.uuid}`
        outcome = await continueFlow(context, waiting, run.step)
      } else {
        const first = (await repo.incomingCount(db, conversation.id)) === 1
        const flow = flows.find((f) =>
          triggerMatches(parseJson<TriggerSpec>(f.trigger, { type: 'any' }), text, first),
        )
        if (flow) {
          handler = `flow:${flow.uuid}`
          outcome = await runSteps(context, flow, 0)
        } else {
          const integration = (await repo.activeIntegrations(db, message.instance_id))[0]
          if (integration) {
            handler = `${integration.type}:${integration.uuid}`
            outcome = await runIntegration(context, integration)
          }
        }
      }
    } catch (error) {
      outcome = 'failed'
      detail = error instanceof Error ? error.message : String(error)
      logger.warn({ err: error, message: message.id, handler }, 'automation failed')
    }
    await repo.finishLog(db, message.id, { handler, outcome, detail })
  }

  type Context = {
    auth: InstanceAuth
    conversation: repo.ConversationRow
    message: {
      uuid: string
      sender_number: string | null
      sender_name: string | null
      whatsapp_message_id: string | null
      type: string
      created_at: string
    }
    text: string
  }

  function render(template: string, ctx: Context): string {
    const values: Record<string, string> = {
      'contact.name': ctx.message.sender_name ?? ctx.message.sender_number ?? '',
      'contact.first_name': (ctx.message.sender_name ?? '').split(' ')[0] ?? '',
      'contact.phone': ctx.message.sender_number ?? '',
      'message.text': ctx.text,
    }
    return template.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole)
  }

  async function reply(ctx: Context, text: string): Promise<boolean> {
    if (!(await underCap(ctx.conversation.id))) return false
    await actions.sendText(ctx.auth, ctx.conversation.chat_jid, text)
    return true
  }

  async function runSteps(ctx: Context, flow: repo.FlowRow, start: number): Promise<Outcome> {
    const steps = parseJson<StepSpec[]>(flow.steps, [])
    let outcome: Outcome = 'no_match'
    for (let index = start; index < steps.length; index++) {
      const step = steps[index]!
      switch (step.type) {
        case 'send_text':
          if (!(await reply(ctx, render(step.text, ctx)))) return 'skipped'
          outcome = 'replied'
          break
        case 'send_media':
          if (!actions.sendMedia) throw new Error('sending media is not available')
          if (!(await underCap(ctx.conversation.id))) return 'skipped'
          await actions.sendMedia(ctx.auth, ctx.conversation.chat_jid, {
            url: step.media_url,
            type: step.media_type,
            ...(step.caption ? { caption: render(step.caption, ctx) } : {}),
            ...(step.filename ? { filename: step.filename } : {}),
          })
          outcome = 'replied'
          break
        case 'wait_reply':
          await repo.saveRun(db, ctx.conversation.id, flow.id, index, clock.now().toISOString())
          return outcome === 'no_match' ? 'replied' : outcome
        case 'add_tag':
          if (!actions.addTag) throw new Error('tags are not available')
          await actions.addTag(ctx.auth, ctx.conversation.id, step.tag)
          break
        case 'create_lead':
          if (!actions.createLead) throw new Error('the kanban is not available')
          await actions.createLead(ctx.auth, ctx.conversation.id, {
            ...(step.board_id ? { board_id: step.board_id } : {}),
            ...(step.column_id ? { column_id: step.column_id } : {}),
            ...(step.title ? { title: render(step.title, ctx) } : {}),
          })
          break
        case 'handover':
          await control.handover(ctx.conversation.id, step.reason ?? null)
          return 'handover'
      }
    }
    await repo.clearRun(db, ctx.conversation.id)
    return outcome === 'no_match' ? 'replied' : outcome
  }

  /** The contact answered a `wait_reply` step: continue at the branch that matches. */
  async function continueFlow(ctx: Context, flow: repo.FlowRow, waitingStep: number): Promise<Outcome> {
    const step = parseJson<StepSpec[]>(flow.steps, [])[waitingStep]
    await repo.clearRun(db, ctx.conversation.id)
    if (step?.type !== 'wait_reply') return 'no_match'
    const branch = step.branches.find((b) => matches(b.match, b.value, ctx.text))
    const target = branch?.goto ?? step.default_goto
    return target === undefined ? 'no_match' : runSteps(ctx, flow, target)
  }

  async function runIntegration(ctx: Context, integration: repo.IntegrationRow): Promise<Outcome> {
    const config = deps.definitions.openConfig(integration)
    const history = await repo.history(db, ctx.conversation.id, Number(config['history_window'] ?? 10))
    const context: ConversationContext = {
      event: 'message.received',
      instance: { uuid: '', phone_number: null },
      conversation: {
        id: ctx.conversation.uuid,
        numeric_id: ctx.conversation.id,
        chat_jid: ctx.conversation.chat_jid,
      },
      contact: { phone_number: ctx.message.sender_number, name: ctx.message.sender_name },
      message: {
        id: ctx.message.uuid,
        whatsapp_message_id: ctx.message.whatsapp_message_id,
        type: ctx.message.type,
        text: ctx.text || null,
        timestamp: ctx.message.created_at,
      },
      history: history.map((m) => ({
        direction: m.direction,
        text: m.body ?? m.caption,
        timestamp: m.created_at,
      })),
    }
    const instance = await db
      .selectFrom('instances')
      .select(['uuid', 'phone_number'])
      .where('id', '=', ctx.auth.instanceId)
      .executeTakeFirst()
    if (instance) context.instance = { uuid: instance.uuid, phone_number: instance.phone_number }

    let answer: BotAnswer
    if (integration.type === 'http_bot') {
      answer = await callHttpBot(config as { url: string; secret?: string; timeout_ms?: number }, context)
    } else {
      const own = config['base_url'] && config['api_key'] && config['model']
      let client: ChatClient
      let timeoutMs: number | undefined
      if (own) {
        client = createChatClient({
          baseUrl: String(config['base_url']),
          apiKey: String(config['api_key']),
          model: String(config['model']),
        })
      } else {
        if (!actions.tenantAi) throw new IntegrationError('no AI provider configured')
        ;({ client, timeoutMs } = await actions.tenantAi(ctx.auth.tenantId))
      }
      answer = await askAgent(
        client,
        {
          ...(config as { system_prompt?: string; temperature?: number; timeout_ms?: number }),
          ...(config['timeout_ms'] === undefined && timeoutMs !== undefined ? { timeout_ms: timeoutMs } : {}),
        },
        context,
      )
    }
    let outcome: Outcome = 'no_match'
    for (const text of answer.texts) {
      if (!(await reply(ctx, text))) return 'skipped'
      outcome = 'replied'
    }
    if (answer.handover) {
      await control.handover(ctx.conversation.id, answer.handover.reason)
      return 'handover'
    }
    return outcome
  }

  return {
    /**
     * The outbox consumer. Conversations are handled side by side (a slow bot in one must not hold
     * up the others), each conversation's messages in order; one failure does not block the rest.
     */
    async consume(events: StoredEvent[]): Promise<void> {
      // Whether an instance has active automation, asked once per batch of events.
      const asked = new Map<number, Promise<boolean>>()
      const hasAutomation = (instanceId: number) => {
        let answer = asked.get(instanceId)
        if (!answer) {
          answer = control.hasActiveAutomation(instanceId)
          asked.set(instanceId, answer)
        }
        return answer
      }
      const byConversation = new Map<number, StoredEvent[]>()
      for (const event of events) {
        const key = Number((event.data as { conversation_id?: number }).conversation_id ?? 0)
        byConversation.set(key, [...(byConversation.get(key) ?? []), event])
      }
      await Promise.all(
        [...byConversation.values()].map(async (group) => {
          for (const event of group) {
            try {
              await handle(event, hasAutomation)
            } catch (error) {
              logger.error({ err: error, event: event.id }, 'automation could not handle an event')
            }
          }
        }),
      )
    },
  }
}
