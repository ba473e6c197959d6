import type { Generated, Selectable } from 'kysely'

export interface TagsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  name: string
  /** `name` folded to lower case: names are unique per tenant whatever their case. */
  name_key: string
  /** `#RRGGBB` */
  color: string
  created_at: string
  updated_at: string
}

/** Which tags a conversation carries. */
export interface ConversationTagsTable {
  conversation_id: number
  tag_id: number
  created_at: string
}

export type Tag = Selectable<TagsTable>
