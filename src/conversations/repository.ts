import { type Kysely, sql, type Updateable } from 'kysely'
import { searchText } from '../contacts/search.js'
import { valuesList } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { ConversationsTable } from './table.js'

type Db = Kysely<DB>

/** A conversation to create if its chat has none yet. */
export interface NewConversation {
  uuid: string
  tenant_id: number
  chat_jid: string
  is_group: boolean
  contact_id: number | null
  name: string | null
  at: string
}

/** Chats per statement: well under the bound-parameter limits of both databases. */
const CHUNK = 500

/**
 * The conversations of chats of one instance, created on first use, each chat at most once in
 * `rows`; one that has no contact yet takes the one given. Answers their ids by chat, and the
 * chats whose search text must be written (new, or a contact just linked).
 */
export async function ensureConversations(
  db: Db,
  instanceId: number,
  rows: NewConversation[],
): Promise<{ ids: Map<string, number>; stale: string[] }> {
  const ids = new Map<string, number>()
  const stale: string[] = []
  const wanted = new Map(rows.map((row) => [row.chat_jid, row]))
  const find = async (chatJids: string[]) => {
    const found = []
    for (let i = 0; i < chatJids.length; i += CHUNK) {
      found.push(
        ...(await db
          .selectFrom('conversations')
          .select(['id', 'chat_jid', 'contact_id', 'search_text'])
          .where('instance_id', '=', instanceId)
          .where('chat_jid', 'in', chatJids.slice(i, i + CHUNK))
          .execute()),
      )
    }
    return found
  }
  const found = await find([...wanted.keys()])
  const missing = [...wanted.values()].filter((row) => !found.some((f) => f.chat_jid === row.chat_jid))
  if (missing.length > 0) {
    for (let i = 0; i < missing.length; i += CHUNK) {
      await db
        .insertInto('conversations')
        .values(
          missing
            .slice(i, i + CHUNK)
            .map(({ at, ...row }) => ({ ...row, instance_id: instanceId, created_at: at, updated_at: at })),
        )
        // Another process may have created it since: then it is that one.
        .onConflict((oc) => oc.columns(['instance_id', 'chat_jid']).doNothing())
        .execute()
    }
    found.push(...(await find(missing.map((row) => row.chat_jid))))
  }
  for (const row of found) {
    ids.set(row.chat_jid, row.id)
    const contactId = wanted.get(row.chat_jid)!.contact_id
    if (row.contact_id === null && contactId !== null) {
      await db.updateTable('conversations').set({ contact_id: contactId }).where('id', '=', row.id).execute()
      stale.push(row.chat_jid)
    } else if (row.search_text === null) stale.push(row.chat_jid)
  }
  return { ids, stale }
}

/** A new message in a conversation: the latest one shown; an incoming one counts as unread and unarchives. */
export interface RecordedMessage {
  conversationId: number
  id: number
  preview: string | null
  at: string
  incoming: boolean
}

/**
 * New messages, in the order they came: each conversation shows its latest, counts its incoming
 * ones as unread and is unarchived by them; one statement for all the conversations.
 */
export async function recordMessages(db: Db, messages: RecordedMessage[]): Promise<void> {
  const byConversation = new Map<number, { last: RecordedMessage; incoming: number }>()
  for (const message of messages) {
    const seen = byConversation.get(message.conversationId)
    byConversation.set(message.conversationId, {
      last: message,
      incoming: (seen?.incoming ?? 0) + (message.incoming ? 1 : 0),
    })
  }
  const rows = [...byConversation].map(([conversationId, { last, incoming }]) => [
    conversationId,
    last.id,
    last.preview,
    last.at,
    incoming,
  ])
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = valuesList(
      db,
      ['integer', 'integer', 'text', 'timestamptz', 'integer'],
      rows.slice(i, i + CHUNK),
    )
    await sql`WITH v (conversation_id, message_id, preview, at, incoming) AS (${values})
      UPDATE conversations SET
        last_message_id = v.message_id,
        last_message_preview = v.preview,
        last_message_at = v.at,
        updated_at = v.at,
        unread_count = conversations.unread_count + v.incoming,
        is_archived = CASE WHEN v.incoming > 0 THEN ${sql.lit(false)} ELSE conversations.is_archived END,
        archived_at = CASE WHEN v.incoming > 0 THEN NULL ELSE conversations.archived_at END
      FROM v
      WHERE conversations.id = v.conversation_id`.execute(db)
  }
}

/**
 * Recomputes `search_text` (the chat's name, its contact's names and number) of the conversations
 * named, writing only those that changed.
 */
export async function refreshSearch(
  db: Db,
  where: { conversationId: number } | { contactIds: number[] } | { instanceId: number; chatJids: string[] },
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
  else if ('contactIds' in where) {
    if (where.contactIds.length === 0) return
    query = query.where('conversations.contact_id', 'in', where.contactIds)
  } else {
    if (where.chatJids.length === 0) return
    query = query
      .where('conversations.instance_id', '=', where.instanceId)
      .where('conversations.chat_jid', 'in', where.chatJids)
  }
  const changed: [number, string][] = []
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
    if (text !== row.search_text) changed.push([row.id, text])
  }
  for (let i = 0; i < changed.length; i += CHUNK) {
    const values = valuesList(db, ['integer', 'text'], changed.slice(i, i + CHUNK))
    await sql`WITH v (id, search_text) AS (${values})
      UPDATE conversations SET search_text = v.search_text FROM v WHERE conversations.id = v.id`.execute(db)
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
