import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.js'

type Db = Kysely<DB>

// Reads of the inbox's tables that the conversation service does not offer (yet): always
// scoped to the tenant, and to the instance for sk_ tokens.

/** The contact's most recently active conversation. */
export async function latestConversationOf(
  db: Db,
  tenantId: number,
  contactId: number,
  instanceId: number | null,
) {
  let query = db
    .selectFrom('conversations')
    .select(['id', 'uuid', 'instance_id'])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
  if (instanceId !== null) query = query.where('instance_id', '=', instanceId)
  return query
    .orderBy(sql`coalesce(last_message_at, created_at)`, 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** The last `limit` messages of a conversation, oldest first (what a reader of the chat sees). */
export async function lastMessages(
  db: Db,
  tenantId: number,
  conversationId: number,
  limit: number,
  instanceId: number | null,
) {
  let query = db
    .selectFrom('messages')
    .select(['id', 'direction', 'type', 'body', 'caption', 'sender_name', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', '=', conversationId)
    .where('deleted_at', 'is', null)
  if (instanceId !== null) query = query.where('instance_id', '=', instanceId)
  const rows = await query.orderBy('id', 'desc').limit(limit).execute()
  return rows.reverse()
}
