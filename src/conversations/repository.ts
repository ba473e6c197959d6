import { type Kysely, sql, type Updateable } from 'kysely'
import { searchText } from '../contacts/search.js'
import type { DB } from '../db/schema.js'
import type { ConversationsTable } from './table.js'

type Db = Kysely<DB>

/** The conversation of a chat, created on first use; answers its id and whether it is new. */
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
): Promise<{ id: number; changed: boolean }> {
  const { at, ...values } = row
  await db
    .insertInto('conversations')
    .values({ ...values, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['instance_id', 'chat_jid']).doNothing())
    .execute()
  const found = await db
    .selectFrom('conversations')
    .select(['id', 'contact_id', 'search_text'])
    .where('instance_id', '=', row.instance_id)
    .where('chat_jid', '=', row.chat_jid)
    .executeTakeFirstOrThrow()
  if (found.contact_id === null && row.contact_id !== null) {
    await db
      .updateTable('conversations')
      .set({ contact_id: row.contact_id })
      .where('id', '=', found.id)
      .execute()
    return { id: found.id, changed: true }
  }
  return { id: found.id, changed: found.search_text === null }
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

/**
 * Recomputes `search_text` (the chat's name, its contact's names and number) of the conversations
 * named, writing only those that changed.
 */
export async function refreshSearch(
  db: Db,
  where: { conversationId: number } | { contactId: number } | { instanceId: number; chatJids: string[] },
): Promise<void> {
  let query = db
    .selectFrom('conversations')
    .leftJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select([
      'conversations.id',
      'conversations.name',
      'conversations.chat_jid',
      'conversations.search_text',
      'contacts.name as contact_name',
      'contacts.display_name',
      'contacts.first_name',
      'contacts.last_name',
      'contacts.push_name',
      'contacts.phone_number',
    ])
  if ('conversationId' in where) query = query.where('conversations.id', '=', where.conversationId)
  else if ('contactId' in where) query = query.where('conversations.contact_id', '=', where.contactId)
  else {
    if (where.chatJids.length === 0) return
    query = query
      .where('conversations.instance_id', '=', where.instanceId)
      .where('conversations.chat_jid', 'in', where.chatJids)
  }
  for (const row of await query.execute()) {
    const text = searchText(
      row.name,
      row.contact_name,
      row.display_name,
      row.first_name,
      row.last_name,
      row.push_name,
      row.phone_number ?? row.chat_jid.split('@')[0],
    )
    if (text !== row.search_text) {
      await db.updateTable('conversations').set({ search_text: text }).where('id', '=', row.id).execute()
    }
  }
}

/** Conversations of these chats that have no contact get this one; answers the chats linked. */
export async function linkContacts(
  db: Db,
  instanceId: number,
  contacts: { chatJid: string; contactId: number }[],
): Promise<string[]> {
  const linked: string[] = []
  for (let i = 0; i < contacts.length; i += 500) {
    const chunk = contacts.slice(i, i + 500)
    const orphans = await db
      .selectFrom('conversations')
      .select('chat_jid')
      .where('instance_id', '=', instanceId)
      .where('contact_id', 'is', null)
      .where(
        'chat_jid',
        'in',
        chunk.map((c) => c.chatJid),
      )
      .execute()
    for (const { chat_jid } of orphans) {
      const contactId = chunk.find((c) => c.chatJid === chat_jid)!.contactId
      await db
        .updateTable('conversations')
        .set({ contact_id: contactId })
        .where('instance_id', '=', instanceId)
        .where('chat_jid', '=', chat_jid)
        .execute()
      linked.push(chat_jid)
    }
  }
  return linked
}

export async function updateConversation(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<ConversationsTable>,
): Promise<void> {
  await db
    .updateTable('conversations')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Deletes a conversation with its messages (their reactions go with them). */
export async function deleteConversation(db: Db, tenantId: number, id: number): Promise<void> {
  await db
    .deleteFrom('messages')
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', '=', id)
    .execute()
  await db.deleteFrom('conversations').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** The newest incoming messages not yet marked read, for read receipts. */
export async function unreadIncoming(db: Db, conversationId: number, limit: number) {
  return db
    .selectFrom('messages')
    .select(['id', 'whatsapp_message_id', 'chat_jid', 'sender_jid'])
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'incoming')
    .where('read_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

export async function markMessagesRead(db: Db, ids: number[], at: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .updateTable('messages')
      .set({ read_at: at })
      .where('id', 'in', ids.slice(i, i + 500))
      .execute()
  }
}
