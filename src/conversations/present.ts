import { bool } from '../db/dialect.js'
import type { ConversationRow } from './queries.js'

export interface TagBadge {
  id: string
  name: string
  color: string
}

function contactName(row: ConversationRow): string | null {
  const full = [row.contact_first_name, row.contact_last_name].filter(Boolean).join(' ')
  return row.contact_display_name || row.contact_name || full || row.contact_push_name || null
}

/**
 * A conversation as both documents show it (DECISIONS §2: the uuid as `id`, the integer as
 * `numeric_id`), with the chat list's `instance` block; `tags` when asked for.
 */
export function presentConversation(row: ConversationRow, tags?: TagBadge[]) {
  const number = row.contact_phone ?? row.chat_jid.split('@')[0]!
  const name = contactName(row)
  const paused = bool(row.automation_paused)
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    instance_id: row.instance_id,
    instance_uuid: row.instance_uuid,
    contact_id: row.contact_id,
    contact_uuid: row.contact_uuid,
    chat_jid: row.chat_jid,
    contact_number: number,
    contact_name: bool(row.is_group) ? row.name : name,
    display_name: (bool(row.is_group) ? row.name : (name ?? row.name)) ?? number,
    name: row.name,
    is_group: bool(row.is_group),
    profile_picture_url: row.contact_picture,
    last_message: row.last_message_preview,
    last_message_id: row.last_message_id,
    last_message_at: row.last_message_id === null ? null : row.last_message_at,
    unread_count: row.unread_count,
    is_archived: bool(row.is_archived),
    archived_at: row.archived_at,
    // Only a pause is known here; whether automation is active comes with the automation module.
    automation_status: paused ? ('paused' as const) : ('none' as const),
    automation_paused: paused,
    paused_at: row.paused_at,
    paused_by: row.paused_by,
    pause_reason: row.pause_reason,
    resumed_at: row.resumed_at,
    instance: {
      uuid: row.instance_uuid,
      phone_number: row.instance_phone,
      status: row.instance_status,
    },
    ...(tags ? { tags } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export type ConversationView = ReturnType<typeof presentConversation>
