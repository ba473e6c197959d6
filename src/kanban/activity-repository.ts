import type { Insertable, Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { KanbanActivitiesTable } from './table.js'

type Db = Kysely<DB>

const COLUMNS = [
  'kanban_activities.id',
  'kanban_activities.uuid',
  'kanban_activities.lead_id',
  'kanban_activities.type',
  'kanban_activities.description',
  'kanban_activities.data',
  'kanban_activities.actor',
  'kanban_activities.created_at',
] as const

export type ActivityRow = Awaited<ReturnType<typeof findActivityById>> & {}

export async function insertActivity(db: Db, row: Insertable<KanbanActivitiesTable>): Promise<number> {
  const { id } = await db
    .insertInto('kanban_activities')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

export async function findActivityById(db: Db, id: number) {
  return db.selectFrom('kanban_activities').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** A lead's timeline, newest first. */
export async function listActivities(
  db: Db,
  tenantId: number,
  leadId: number,
  filter: { type?: string | undefined },
  page: { limit: number; offset: number },
) {
  let query = db
    .selectFrom('kanban_activities')
    .where('tenant_id', '=', tenantId)
    .where('lead_id', '=', leadId)
  if (filter.type) query = query.where('type', '=', filter.type)
  const rows = await query
    .select(COLUMNS)
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}
