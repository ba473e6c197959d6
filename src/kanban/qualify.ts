import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Kysely } from 'kysely'
import { AiProviderError, type ChatMessage, parseJsonReply } from '../ai/client.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import type { AiSettingsService } from '../settings/service.js'
import { lastMessages, latestConversationOf } from './conversation-reader.js'
import * as leads from './lead-repository.js'
import type { LeadService } from './lead-service.js'
import { fromCents } from './present.js'
import { recordActivity } from './timeline.js'

/** What the provider must answer, exactly. */
const Answer = Type.Object({
  score: Type.Number({ minimum: 0, maximum: 100 }),
  temperature: Type.Union([Type.Literal('hot'), Type.Literal('warm'), Type.Literal('cold')]),
  summary: Type.String({ minLength: 1 }),
  next_action: Type.String({ minLength: 1 }),
})

const DEFAULT_MESSAGES = 30

const INSTRUCTIONS = `You qualify sales leads for a business that talks to its customers on WhatsApp.
Read the lead and its conversation, then answer with one JSON object and nothing else:
{"score": <integer 0-100, how likely the lead is to buy>, "temperature": "hot" | "warm" | "cold",
"summary": "<one or two sentences on where the lead stands>", "next_action": "<the single best next step for the seller>"}
Write summary and next_action in the language of the conversation.`

type Transcript = Awaited<ReturnType<typeof lastMessages>>

function leadFacts(lead: leads.LeadRow, tags: string[]): string {
  const contact = lead.contact_id
    ? [lead.contact_display_name ?? lead.contact_name ?? lead.contact_push_name, lead.contact_phone]
        .filter(Boolean)
        .join(', ')
    : null
  return [
    `Lead: ${lead.title}`,
    `Stage: ${lead.column_name} (status ${lead.status})`,
    `Value: ${fromCents(lead.value_cents)} ${lead.currency}`,
    contact ? `Contact: ${contact}` : null,
    tags.length ? `Tags: ${tags.join(', ')}` : null,
    lead.notes ? `Notes: ${lead.notes}` : null,
  ]
    .filter(Boolean)
    .join('\n')
}

function transcript(messages: Transcript): string {
  if (messages.length === 0) return 'There is no conversation with this lead yet.'
  const lines = messages.map((m) => {
    const who =
      m.direction === 'incoming' ? `Customer${m.sender_name ? ` (${m.sender_name})` : ''}` : 'Business'
    const text = m.body ?? m.caption ?? ''
    const media = m.type === 'text' ? '' : `[${m.type}] `
    return `[${m.created_at.slice(0, 16).replace('T', ' ')} UTC] ${who}: ${media}${text}`
  })
  return `Conversation (oldest first):\n${lines.join('\n')}`
}

function providerError(error: AiProviderError): AppError {
  return new AppError('AI_PROVIDER_ERROR', error.message, {
    reason: error.kind,
    ...(error.status !== null ? { provider_status: error.status } : {}),
  })
}

/** `ai-qualify`: the tenant's AI provider scores a lead from its conversation. */
export function createQualifier(deps: {
  db: Kysely<DB>
  clock: Clock
  ai: Pick<AiSettingsService, 'clientFor'>
  leads: Pick<LeadService, 'find' | 'view'>
}) {
  const { db, clock } = deps

  /** The lead's conversation, or its contact's latest; an sk_ token reads only its instance's. */
  async function conversationOf(auth: AuthContext, lead: leads.LeadRow): Promise<number | null> {
    if (lead.conversation_id) return lead.conversation_id
    if (!lead.contact_id) return null
    return (await latestConversationOf(db, auth.tenantId, lead.contact_id, auth.instanceId))?.id ?? null
  }

  return {
    async qualify(auth: AuthContext, ref: string, options: { messages_limit?: number | undefined } = {}) {
      const lead = await deps.leads.find(auth, ref)
      const { client, timeoutMs } = await deps.ai.clientFor(auth.tenantId)
      const conversationId = await conversationOf(auth, lead)
      const messages = conversationId
        ? await lastMessages(
            db,
            auth.tenantId,
            conversationId,
            options.messages_limit ?? DEFAULT_MESSAGES,
            auth.instanceId,
          )
        : []
      const tags = (await leads.tagsOf(db, [lead.id])).get(lead.id) ?? []
      const prompt: ChatMessage[] = [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: `${leadFacts(lead, tags)}\n\n${transcript(messages)}` },
      ]

      let answer: {
        score: number
        temperature: 'hot' | 'warm' | 'cold'
        summary: string
        next_action: string
      }
      let model: string
      try {
        const completion = await client.complete({ messages: prompt, json: true, timeoutMs })
        const parsed = parseJsonReply(completion.content)
        if (!Value.Check(Answer, parsed)) {
          const fields = [...Value.Errors(Answer, parsed)].slice(0, 5).map((e) => e.path || '/')
          throw new AiProviderError(
            'invalid_response',
            `The AI provider's answer does not have the expected fields (${[...new Set(fields)].join(', ')}).`,
          )
        }
        answer = parsed
        model = completion.model
      } catch (error) {
        if (error instanceof AiProviderError) throw providerError(error)
        throw error
      }

      const qualification = {
        score: Math.round(answer.score),
        temperature: answer.temperature,
        summary: answer.summary.trim(),
        next_action: answer.next_action.trim(),
        model,
        qualified_at: clock.now().toISOString(),
      }
      await db.transaction().execute(async (trx) => {
        await leads.updateLead(trx, auth.tenantId, lead.id, {
          ai_score: qualification.score,
          ai_temperature: qualification.temperature,
          ai_summary: qualification.summary,
          ai_next_action: qualification.next_action,
          ai_model: model,
          ai_qualified_at: qualification.qualified_at,
          updated_at: qualification.qualified_at,
        })
        await recordActivity(trx, auth, {
          leadId: lead.id,
          type: 'ai_qualified',
          description: `AI qualification: ${qualification.score}/100, ${qualification.temperature}`,
          data: { ...qualification, messages_used: messages.length },
          at: qualification.qualified_at,
        })
      })
      return { lead: await deps.leads.view(lead.id), qualification, messages_used: messages.length }
    },
  }
}
