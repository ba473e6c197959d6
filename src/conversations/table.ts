import type { ColumnType, Generated, Selectable } from 'kysely'

type Bool = ColumnType<boolean, boolean | undefined, boolean>

export interface ConversationsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  contact_id: number | null
  /** The chat: a contact's phone JID (or LID while the number is unknown) or a group JID. */
  chat_jid: string
  is_group: Bool
  name: string | null
  unread_count: ColumnType<number, number | undefined, number>
  is_archived: Bool
  archived_at: string | null
  last_message_id: number | null
  last_message_preview: string | null
  last_message_at: string | null
  automation_paused: Bool
  paused_at: string | null
  paused_by: string | null
  pause_reason: string | null
  resumed_at: string | null
  /** Names and number folded to lower case without accents, for substring search (kept by the service). */
  search_text: string | null
  created_at: string
  updated_at: string
}

export type Conversation = Selectable<ConversationsTable>
