import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.js'

type Db = Kysely<DB>

/** The conversation of a chat, created on first use; answers its id. */
export async function ensureConversation(
  db: Db,
  row: {
    uuid: string
    tenant_id: number
    instance_id: number
    chat_jid: string
    is_group: boolean
    contact_id: number | null
    name: string | null
    at: string
  },
): Promise<number> {
  const { at, ...values } = row
  await db
    .insertInto('conversations')
    .values({ ...values, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['instance_id', 'chat_jid']).doNothing())
    .execute()
  const found = await db
    .selectFrom('conversations')
    .select(['id', 'contact_id'])
    .where('instance_id', '=', row.instance_id)
    .where('chat_jid', '=', row.chat_jid)
    .executeTakeFirstOrThrow()
  if (found.contact_id === null && row.contact_id !== null) {
    await db
      .updateTable('conversations')
      .set({ contact_id: row.contact_id })
      .where('id', '=', found.id)
      .execute()
  }
  return found.id
}

export async function findConversationByChat(db: Db, instanceId: number, chatJid: string) {
  return db
    .selectFrom('conversations')
    .select(['id', 'uuid', 'automation_paused', 'is_archived'])
    .where('instance_id', '=', instanceId)
    .where('chat_jid', '=', chatJid)
    .executeTakeFirst()
}

/** A new message in the conversation: the latest one shown; an incoming one counts as unread and unarchives. */
export async function recordMessage(
  db: Db,
  conversationId: number,
  message: { id: number; preview: string | null; at: string; incoming: boolean },
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({
      last_message_id: message.id,
      last_message_preview: message.preview,
      last_message_at: message.at,
      updated_at: message.at,
      ...(message.incoming
        ? { unread_count: sql<number>`unread_count + 1`, is_archived: false, archived_at: null }
        : {}),
    })
    .where('id', '=', conversationId)
    .execute()
}
