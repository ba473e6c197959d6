import { type Kysely, sql } from 'kysely'
import { searchCondition } from '../contacts/search.js'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'

type Db = Kysely<DB>

const COLUMNS = [
  'conversations.id',
  'conversations.uuid',
  'conversations.tenant_id',
  'conversations.instance_id',
  'conversations.contact_id',
  'conversations.chat_jid',
  'conversations.is_group',
  'conversations.name',
  'conversations.unread_count',
  'conversations.is_archived',
  'conversations.archived_at',
  'conversations.last_message_id',
  'conversations.last_message_preview',
  'conversations.last_message_at',
  'conversations.automation_paused',
  'conversations.paused_at',
  'conversations.paused_by',
  'conversations.pause_reason',
  'conversations.resumed_at',
  'conversations.created_at',
  'conversations.updated_at',
  'contacts.uuid as contact_uuid',
  'contacts.phone_number as contact_phone',
  'contacts.name as contact_name',
  'contacts.display_name as contact_display_name',
  'contacts.first_name as contact_first_name',
  'contacts.last_name as contact_last_name',
  'contacts.push_name as contact_push_name',
  'contacts.profile_picture_url as contact_picture',
  'instances.uuid as instance_uuid',
  'instances.phone_number as instance_phone',
  'instances.status as instance_status',
  'instances.profile_name as instance_profile_name',
] as const

export interface ConversationFilter {
  /** Only this instance's (the caller's sk_ token, or the instance_id filter). */
  instanceId: number | null
  archived: boolean
  unread?: boolean | undefined
  isGroup?: boolean | undefined
  /** A folded search term (see contacts/search.ts). */
  search?: string | null | undefined
  /** Conversations carrying any of these tags; an empty list matches nothing. */
  tagIds?: number[] | null | undefined
  untagged?: boolean | undefined
}

export type ConversationRow = Awaited<ReturnType<typeof findConversation>> & {}

function withDetails(db: Db) {
  return db
    .selectFrom('conversations')
    .innerJoin('instances', 'instances.id', 'conversations.instance_id')
    .leftJoin('contacts', 'contacts.id', 'conversations.contact_id')
}

export async function findConversation(db: Db, tenantId: number, ref: EntityRef) {
  const query = withDetails(db).select(COLUMNS).where('conversations.tenant_id', '=', tenantId)
  return (
    'id' in ref
      ? query.where('conversations.id', '=', ref.id)
      : query.where('conversations.uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

/**
 * Newest activity first. The page is found on the conversations table alone (its indexes give the
 * order), and only the page's rows are then joined with their contact and instance: joining before
 * sorting would join every match. The count reads only the conversations table and its indexes.
 */
export async function listConversations(
  db: Db,
  tenantId: number,
  filter: ConversationFilter,
  page: { limit: number; offset: number },
) {
  if (filter.tagIds?.length === 0) return { rows: [], total: 0 }
  const matching = (forPage: boolean) => {
    let q = db
      .selectFrom('conversations')
      .where('conversations.tenant_id', '=', tenantId)
      .where('conversations.is_archived', '=', filter.archived)
    if (filter.instanceId !== null) q = q.where('conversations.instance_id', '=', filter.instanceId)
    if (filter.unread) q = q.where('conversations.unread_count', '>', 0)
    if (filter.isGroup !== undefined) q = q.where('conversations.is_group', '=', filter.isGroup)
    if (filter.search) q = q.where(searchCondition(db, 'conversations', filter.search))
    if (filter.tagIds) {
      const tagged = db
        .selectFrom('conversation_tags')
        .select('conversation_tags.conversation_id')
        .where('conversation_tags.tag_id', 'in', filter.tagIds)
      // For the page, `+id` keeps SQLite walking the activity index (stopping once the page is
      // full) instead of fetching and sorting every tagged conversation; PostgreSQL reads it as id.
      q = forPage
        ? q.where(sql<boolean>`+${sql.ref('conversations.id')} IN (${tagged})`)
        : q.where('conversations.id', 'in', tagged)
    }
    if (filter.untagged) {
      q = q.where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('conversation_tags')
              .select('conversation_tags.tag_id')
              .whereRef('conversation_tags.conversation_id', '=', 'conversations.id'),
          ),
        ),
      )
    }
    return q
  }
  const [ids, total] = await Promise.all([
    matching(true)
      .select('conversations.id')
      .orderBy('conversations.last_message_at', (ob) => ob.desc().nullsLast())
      .orderBy('conversations.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    matching(false)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow(),
  ])
  if (ids.length === 0) return { rows: [], total: Number(total.count) }
  const rows = await withDetails(db)
    .select(COLUMNS)
    .where(
      'conversations.id',
      'in',
      ids.map((r) => r.id),
    )
    .execute()
  const byId = new Map(rows.map((row) => [row.id, row]))
  return { rows: ids.map((r) => byId.get(r.id)!).filter(Boolean), total: Number(total.count) }
}
