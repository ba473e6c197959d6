import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { MESSAGE_COLUMNS } from '../messages/repository.js'

type Db = Kysely<DB>

export interface HistoryWindow {
  beforeId?: number | undefined
  afterId?: number | undefined
  from?: string | undefined
  to?: string | undefined
  limit: number
}

/**
 * A window of a conversation's messages, oldest first, by id (the order they were stored in).
 * Without `after_id` it is the newest `limit` before `before_id` (or of all), and `hasMore` says
 * whether older ones exist; with only `after_id` it is the oldest `limit` after it, and `hasMore`
 * says whether newer ones exist. One more row than asked is read to know.
 */
export async function history(db: Db, conversationId: number, window: HistoryWindow) {
  let query = db
    .selectFrom('messages')
    .select(MESSAGE_COLUMNS)
    .where('messages.conversation_id', '=', conversationId)
  if (window.beforeId !== undefined) query = query.where('messages.id', '<', window.beforeId)
  if (window.afterId !== undefined) query = query.where('messages.id', '>', window.afterId)
  if (window.from) query = query.where('messages.created_at', '>=', window.from)
  if (window.to) query = query.where('messages.created_at', '<=', window.to)
  const forward = window.afterId !== undefined && window.beforeId === undefined
  const rows = await query
    .orderBy('messages.id', forward ? 'asc' : 'desc')
    .limit(window.limit + 1)
    .execute()
  const hasMore = rows.length > window.limit
  const page = rows.slice(0, window.limit)
  return { rows: forward ? page : page.reverse(), hasMore }
}

/** The integer id of a message of this conversation named by its uuid. */
export async function messageIdByUuid(db: Db, conversationId: number, uuid: string) {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('uuid', '=', uuid)
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst()
  return row?.id
}

export async function reactionsOf(db: Db, messageIds: number[]) {
  if (messageIds.length === 0) return []
  return db
    .selectFrom('message_reactions')
    .select(['message_id', 'reactor_jid', 'reactor_number', 'emoji', 'from_me', 'reacted_at'])
    .where('message_id', 'in', messageIds)
    .orderBy('reacted_at')
    .execute()
}

/** The one-to-one conversation of a contact, if there is one. */
export async function conversationOfContact(db: Db, contactId: number) {
  return db
    .selectFrom('conversations')
    .select('id')
    .where('contact_id', '=', contactId)
    .where('is_group', '=', false)
    .orderBy('id')
    .executeTakeFirst()
}
