import { nameOf } from '../contacts/fields.js'
import { parseJson } from '../db/dialect.js'
import type { ActivityRow } from './activity-repository.js'
import type { BoardRow, ColumnRow } from './board-repository.js'
import type { LeadRow } from './lead-repository.js'

/** Kanban items show the uuid as `id` (DECISIONS §2); references to other entities are integer ids. */

export const fromCents = (cents: number) => Math.round(cents) / 100
export const toCents = (value: number) => Math.round(value * 100)

export function presentColumn(row: ColumnRow, boardUuid: string, leadsCount: number) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    board_id: row.board_id,
    board_uuid: boardUuid,
    name: row.name,
    color: row.color,
    position: row.position,
    leads_count: leadsCount,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export type ColumnView = ReturnType<typeof presentColumn>

export function presentBoard(row: BoardRow, columns: ColumnView[]) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    name: row.name,
    description: row.description,
    currency: row.currency,
    columns,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function presentLead(row: LeadRow, tags: string[]) {
  const contact = row.contact_id
    ? {
        id: row.contact_id,
        uuid: row.contact_uuid!,
        name: nameOf({
          name: row.contact_name,
          display_name: row.contact_display_name,
          first_name: row.contact_first_name,
          last_name: row.contact_last_name,
          push_name: row.contact_push_name,
        }),
        phone_number: row.contact_phone!,
      }
    : null
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    board_id: row.board_id,
    board_uuid: row.board_uuid,
    column_id: row.column_id,
    column_uuid: row.column_uuid,
    column_name: row.column_name,
    position: row.position,
    title: row.title,
    value: fromCents(row.value_cents),
    currency: row.currency,
    notes: row.notes,
    tags,
    custom_fields: parseJson<Record<string, unknown>>(row.custom_fields, {}),
    status: row.status,
    won_at: row.won_at,
    lost_at: row.lost_at,
    lost_reason: row.lost_reason,
    contact_id: row.contact_id,
    contact_uuid: row.contact_uuid,
    contact,
    conversation_id: row.conversation_id,
    conversation_uuid: row.conversation_uuid,
    ai_qualification:
      row.ai_qualified_at && row.ai_score !== null
        ? {
            score: row.ai_score,
            temperature: row.ai_temperature as 'hot' | 'warm' | 'cold',
            summary: row.ai_summary ?? '',
            next_action: row.ai_next_action ?? '',
            model: row.ai_model,
            qualified_at: row.ai_qualified_at,
          }
        : null,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export type LeadView = ReturnType<typeof presentLead>

export function presentActivity(row: ActivityRow, leadUuid: string) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    lead_id: row.lead_id,
    lead_uuid: leadUuid,
    type: row.type,
    description: row.description,
    data: parseJson<Record<string, unknown>>(row.data, {}),
    actor: row.actor,
    created_at: row.created_at,
  }
}
