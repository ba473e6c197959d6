import type { Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { TagsTable } from './table.js'

type Db = Kysely<DB>

const COLUMNS = ['id', 'uuid', 'tenant_id', 'name', 'name_key', 'color', 'created_at', 'updated_at'] as const

export type TagRow = Awaited<ReturnType<typeof findTagById>> & {}

export async function listTags(db: Db, tenantId: number) {
  return db.selectFrom('tags').select(COLUMNS).where('tenant_id', '=', tenantId).orderBy('name_key').execute()
}

export async function findTag(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('tags').select(COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findTagById(db: Db, id: number) {
  return db.selectFrom('tags').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** The tenant's tags among these ids and uuids. */
export async function findTags(db: Db, tenantId: number, ids: number[], uuids: string[]) {
  if (ids.length === 0 && uuids.length === 0) return []
  return db
    .selectFrom('tags')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('id', 'in', ids)] : []),
        ...(uuids.length ? [eb('uuid', 'in', uuids)] : []),
      ]),
    )
    .execute()
}

export async function nameTaken(db: Db, tenantId: number, nameKey: string, exceptId?: number) {
  let query = db
    .selectFrom('tags')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name_key', '=', nameKey)
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
  return (await query.executeTakeFirst()) !== undefined
}

export async function insertTag(
  db: Db,
  row: { uuid: string; tenant_id: number; name: string; name_key: string; color: string; at: string },
): Promise<number> {
  const { at, ...values } = row
  const { id } = await db
    .insertInto('tags')
    .values({ ...values, created_at: at, updated_at: at })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

export async function updateTag(db: Db, tenantId: number, id: number, patch: Updateable<TagsTable>) {
  await db.updateTable('tags').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** Deletes the tag; its assignments go with it (foreign key, and explicitly for clarity). */
export async function deleteTag(db: Db, tenantId: number, id: number): Promise<void> {
  await db.deleteFrom('conversation_tags').where('tag_id', '=', id).execute()
  await db.deleteFrom('tags').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** How many conversations carry each tag. */
export async function countConversations(db: Db, tagIds: number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>()
  if (tagIds.length === 0) return counts
  const rows = await db
    .selectFrom('conversation_tags')
    .select(['tag_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('tag_id', 'in', tagIds)
    .groupBy('tag_id')
    .execute()
  for (const row of rows) counts.set(row.tag_id, Number(row.count))
  return counts
}

/** The tags of each conversation, by name. */
export async function tagsOfConversations(db: Db, conversationIds: number[]) {
  if (conversationIds.length === 0) return []
  return db
    .selectFrom('conversation_tags')
    .innerJoin('tags', 'tags.id', 'conversation_tags.tag_id')
    .select(['conversation_tags.conversation_id', 'tags.id', 'tags.uuid', 'tags.name', 'tags.color'])
    .where('conversation_tags.conversation_id', 'in', conversationIds)
    .orderBy('tags.name_key')
    .execute()
}

/** The conversation's tags become exactly these. */
export async function replaceConversationTags(
  db: Db,
  conversationId: number,
  tagIds: number[],
  at: string,
): Promise<void> {
  await db.deleteFrom('conversation_tags').where('conversation_id', '=', conversationId).execute()
  if (tagIds.length === 0) return
  await db
    .insertInto('conversation_tags')
    .values(tagIds.map((tagId) => ({ conversation_id: conversationId, tag_id: tagId, created_at: at })))
    .execute()
}
