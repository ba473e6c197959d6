import type { Kysely, Updateable } from 'kysely'
import { toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError } from '../http/errors.js'
import * as leads from './lead-repository.js'
import { fromCents, toCents } from './present.js'
import type { KanbanLeadsTable, LeadStatus } from './table.js'
import { recordActivity } from './timeline.js'

export interface LeadPatch {
  title?: string | undefined
  value?: number | undefined
  currency?: string | undefined
  notes?: string | null | undefined
  tags?: string[] | undefined
  custom_fields?: Record<string, unknown> | undefined
  status?: string | undefined
  contact_id?: string | null | undefined
  conversation_id?: string | null | undefined
}

type Lead = leads.LeadRow
type Links = { contactId: number | null; conversationId: number | null }

/** Trimmed, without blanks or repeats (whatever their case). */
export function cleanTags(tags: string[]): string[] {
  const seen = new Set<string>()
  return tags.map((t) => t.trim()).filter((t) => t && !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()))
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Applies a PUT: the fields that really change are written, with one `updated` activity listing
 * them (from → to); a status change is its own activity (won, lost, reopened).
 */
export async function applyChanges(
  trx: Kysely<DB>,
  auth: AuthContext,
  lead: Lead,
  currentTags: string[],
  patch: LeadPatch,
  links: Links | null,
  at: string,
): Promise<void> {
  const set: Updateable<KanbanLeadsTable> = {}
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  const track = (
    field: string,
    column: keyof KanbanLeadsTable,
    from: unknown,
    to: unknown,
    value: unknown,
  ) => {
    if (same(from, to)) return
    changes[field] = { from, to }
    ;(set as Record<string, unknown>)[column] = value
  }

  if (patch.title !== undefined) track('title', 'title', lead.title, patch.title.trim(), patch.title.trim())
  if (patch.value !== undefined) {
    track(
      'value',
      'value_cents',
      fromCents(lead.value_cents),
      fromCents(toCents(patch.value)),
      toCents(patch.value),
    )
  }
  if (patch.currency !== undefined) {
    track('currency', 'currency', lead.currency, patch.currency.toUpperCase(), patch.currency.toUpperCase())
  }
  if (patch.notes !== undefined) track('notes', 'notes', lead.notes, patch.notes, patch.notes)
  if (patch.custom_fields !== undefined) {
    const before =
      typeof lead.custom_fields === 'string' ? JSON.parse(lead.custom_fields) : (lead.custom_fields ?? {})
    track('custom_fields', 'custom_fields', before, patch.custom_fields, toJson(patch.custom_fields))
  }
  if (links && patch.contact_id !== undefined) {
    track('contact_id', 'contact_id', lead.contact_id, links.contactId, links.contactId)
    // A new contact brings its conversation, unless one is given.
    if (patch.conversation_id === undefined) {
      track(
        'conversation_id',
        'conversation_id',
        lead.conversation_id,
        links.conversationId,
        links.conversationId,
      )
    }
  }
  if (links && patch.conversation_id !== undefined) {
    const conversationId = patch.conversation_id === null ? null : links.conversationId
    track('conversation_id', 'conversation_id', lead.conversation_id, conversationId, conversationId)
    if (patch.contact_id === undefined && conversationId !== null && links.contactId !== null) {
      track('contact_id', 'contact_id', lead.contact_id, links.contactId, links.contactId)
    }
  }
  if (patch.tags !== undefined) {
    const tags = cleanTags(patch.tags)
    if (!same(currentTags, tags)) {
      changes['tags'] = { from: currentTags, to: tags }
      await leads.replaceTags(trx, lead.id, tags)
    }
  }

  const fields = Object.keys(changes)
  if (fields.length > 0) {
    await leads.updateLead(trx, auth.tenantId, lead.id, { ...set, updated_at: at })
    await recordActivity(trx, auth, {
      leadId: lead.id,
      type: 'updated',
      description: `Updated ${fields.join(', ')}`,
      data: { changes },
      at,
    })
  }
  if (patch.status !== undefined && patch.status !== lead.status) {
    await statusChange(trx, auth, lead, patch.status as LeadStatus, {}, at)
  }
}

/**
 * Won, lost or open again. Marking a lead with the status it already has is a transition that
 * makes no sense: `409 INVALID_TRANSITION`.
 */
export async function statusChange(
  trx: Kysely<DB>,
  auth: AuthContext,
  lead: Lead,
  status: LeadStatus,
  input: { value?: number | undefined; reason?: string | undefined; note?: string | undefined },
  at: string,
): Promise<void> {
  const current = (await leads.findLeadById(trx, lead.id)) ?? lead
  const refuse = (now: string) =>
    new AppError('INVALID_TRANSITION', `The lead is already ${status}.`, { status: now })
  if (current.status === status) throw refuse(current.status)
  const reason = input.reason?.trim() || null
  const note = input.note?.trim() || null
  // Only from the status just read: of two simultaneous "won", one changes the lead, the other is refused.
  const changed = await leads.updateLeadIfStatus(trx, auth.tenantId, lead.id, current.status, {
    status,
    won_at: status === 'won' ? at : null,
    lost_at: status === 'lost' ? at : null,
    lost_reason: status === 'lost' ? reason : null,
    ...(status === 'won' && input.value !== undefined ? { value_cents: toCents(input.value) } : {}),
    updated_at: at,
  })
  if (!changed) throw refuse(status)
  const type = status === 'open' ? 'reopened' : status
  const description =
    status === 'won'
      ? 'Marked as won'
      : status === 'lost'
        ? `Marked as lost${reason ? `: ${reason}` : ''}`
        : 'Reopened'
  await recordActivity(trx, auth, {
    leadId: lead.id,
    type,
    description,
    data: {
      from_status: current.status,
      to_status: status,
      ...(status === 'won' ? { value: input.value ?? fromCents(current.value_cents) } : {}),
      ...(reason ? { reason } : {}),
      ...(note ? { note } : {}),
    },
    at,
  })
}
