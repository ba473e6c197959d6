import { type Insertable, type Kysely, sql, type Updateable } from 'kysely'
import { isPostgres } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { KanbanLeadsTable, LeadStatus } from './table.js'

type Db = Kysely<DB>

const LEAD_COLUMNS = [
  'kanban_leads.id',
  'kanban_leads.uuid',
  'kanban_leads.tenant_id',
  'kanban_leads.board_id',
  'kanban_leads.column_id',
  'kanban_leads.position',
  'kanban_leads.title',
  'kanban_leads.value_cents',
  'kanban_leads.currency',
  'kanban_leads.notes',
  'kanban_leads.custom_fields',
  'kanban_leads.status',
  'kanban_leads.contact_id',
  'kanban_leads.conversation_id',
  'kanban_leads.won_at',
  'kanban_leads.lost_at',
  'kanban_leads.lost_reason',
  'kanban_leads.ai_score',
  'kanban_leads.ai_temperature',
  'kanban_leads.ai_summary',
  'kanban_leads.ai_next_action',
  'kanban_leads.ai_model',
  'kanban_leads.ai_qualified_at',
  'kanban_leads.created_by',
  'kanban_leads.created_at',
  'kanban_leads.updated_at',
  'kanban_boards.uuid as board_uuid',
  'kanban_columns.uuid as column_uuid',
  'kanban_columns.name as column_name',
  'contacts.uuid as contact_uuid',
  'contacts.phone_number as contact_phone',
  'contacts.name as contact_name',
  'contacts.display_name as contact_display_name',
  'contacts.first_name as contact_first_name',
  'contacts.last_name as contact_last_name',
  'contacts.push_name as contact_push_name',
  'conversations.uuid as conversation_uuid',
] as const

/** A lead with what it shows of its board, column, contact and conversation. */
function withDetails(db: Db) {
  return db
    .selectFrom('kanban_leads')
    .innerJoin('kanban_boards', 'kanban_boards.id', 'kanban_leads.board_id')
    .innerJoin('kanban_columns', 'kanban_columns.id', 'kanban_leads.column_id')
    .leftJoin('contacts', 'contacts.id', 'kanban_leads.contact_id')
    .leftJoin('conversations', 'conversations.id', 'kanban_leads.conversation_id')
    .select(LEAD_COLUMNS)
}

export type LeadRow = Awaited<ReturnType<typeof findLeadById>> & {}

export async function findLead(db: Db, tenantId: number, ref: EntityRef) {
  const query = withDetails(db).where('kanban_leads.tenant_id', '=', tenantId)
  return (
    'id' in ref
      ? query.where('kanban_leads.id', '=', ref.id)
      : query.where('kanban_leads.uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findLeadById(db: Db, id: number) {
  return withDetails(db).where('kanban_leads.id', '=', id).executeTakeFirst()
}

/** Where a lead is now, read under the column locks. */
export async function placeOf(db: Db, id: number) {
  return db
    .selectFrom('kanban_leads')
    .select(['column_id', 'position', 'board_id'])
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Locks columns' rows, lowest id first (one order for everyone, so two moves can't deadlock):
 * every change to the positions in a column holds its lock. Answers the ids found.
 */
export async function lockColumns(db: Db, tenantId: number, ids: number[]): Promise<number[]> {
  const unique = [...new Set(ids)].sort((a, b) => a - b)
  let query = db
    .selectFrom('kanban_columns')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', unique)
    .orderBy('id')
  if (isPostgres(db)) query = query.forUpdate()
  return (await query.execute()).map((r) => r.id)
}

export async function countInColumn(db: Db, columnId: number): Promise<number> {
  const { n } = await db
    .selectFrom('kanban_leads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('column_id', '=', columnId)
    .executeTakeFirstOrThrow()
  return Number(n)
}

/** Adds `delta` to the positions from `from` to `to` (inclusive; open-ended without `to`). */
export async function shiftPositions(
  db: Db,
  columnId: number,
  delta: 1 | -1,
  from: number,
  to?: number,
): Promise<void> {
  let query = db
    .updateTable('kanban_leads')
    .set({ position: sql`position + ${delta}` })
    .where('column_id', '=', columnId)
    .where('position', '>=', from)
  if (to !== undefined) query = query.where('position', '<=', to)
  await query.execute()
}

/** The leads of a column in order (renumbering after leads arrive from a deleted column). */
export async function idsInColumn(db: Db, columnId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('kanban_leads')
    .select('id')
    .where('column_id', '=', columnId)
    .orderBy('position')
    .orderBy('id')
    .execute()
  return rows.map((r) => r.id)
}

export async function insertLead(db: Db, row: Insertable<KanbanLeadsTable>): Promise<number> {
  const { id } = await db.insertInto('kanban_leads').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function updateLead(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<KanbanLeadsTable>,
): Promise<void> {
  await db
    .updateTable('kanban_leads')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Changes a lead only if its status is still `status` (two racing status changes: one wins). */
export async function updateLeadIfStatus(
  db: Db,
  tenantId: number,
  id: number,
  status: LeadStatus,
  patch: Updateable<KanbanLeadsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('kanban_leads')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', status)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function deleteLead(db: Db, tenantId: number, id: number): Promise<void> {
  await db.deleteFrom('kanban_leads').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export async function tagsOf(db: Db, leadIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>()
  if (leadIds.length === 0) return out
  const rows = await db
    .selectFrom('kanban_lead_tags')
    .select(['lead_id', 'tag'])
    .where('lead_id', 'in', leadIds)
    .orderBy('lead_id')
    .orderBy('position')
    .execute()
  for (const row of rows) out.set(row.lead_id, [...(out.get(row.lead_id) ?? []), row.tag])
  return out
}

export async function replaceTags(db: Db, leadId: number, tags: string[]): Promise<void> {
  await db.deleteFrom('kanban_lead_tags').where('lead_id', '=', leadId).execute()
  if (tags.length === 0) return
  await db
    .insertInto('kanban_lead_tags')
    .values(tags.map((tag, position) => ({ lead_id: leadId, tag, tag_key: tag.toLowerCase(), position })))
    .execute()
}

export interface LeadFilter {
  boardId: number
  columnId?: number | undefined
  status?: LeadStatus | undefined
  /** Lower-case text found in the title, notes or the contact's name or number. */
  search?: string | undefined
  tag?: string | undefined
  contactId?: number | undefined
  minCents?: number | undefined
  maxCents?: number | undefined
  createdFrom?: string | undefined
  createdTo?: string | undefined
}

/** A board's leads in board order (column, then position), filtered. */
export async function listLeads(
  db: Db,
  tenantId: number,
  filter: LeadFilter,
  page: { limit: number; offset: number },
) {
  let query = withDetails(db)
    .where('kanban_leads.tenant_id', '=', tenantId)
    .where('kanban_leads.board_id', '=', filter.boardId)
  if (filter.columnId !== undefined) query = query.where('kanban_leads.column_id', '=', filter.columnId)
  if (filter.status) query = query.where('kanban_leads.status', '=', filter.status)
  if (filter.contactId !== undefined) query = query.where('kanban_leads.contact_id', '=', filter.contactId)
  if (filter.minCents !== undefined) query = query.where('kanban_leads.value_cents', '>=', filter.minCents)
  if (filter.maxCents !== undefined) query = query.where('kanban_leads.value_cents', '<=', filter.maxCents)
  if (filter.createdFrom) query = query.where('kanban_leads.created_at', '>=', filter.createdFrom)
  if (filter.createdTo) query = query.where('kanban_leads.created_at', '<=', filter.createdTo)
  if (filter.tag) {
    const key = filter.tag.toLowerCase()
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('kanban_lead_tags')
          .select('kanban_lead_tags.lead_id')
          .whereRef('kanban_lead_tags.lead_id', '=', 'kanban_leads.id')
          .where('kanban_lead_tags.tag_key', '=', key),
      ),
    )
  }
  if (filter.search) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) LIKE ${pattern} ESCAPE '\\'`
    query = query.where((eb) =>
      eb.or([
        like('kanban_leads.title'),
        like('kanban_leads.notes'),
        like('contacts.name'),
        like('contacts.display_name'),
        like('contacts.push_name'),
        like('contacts.phone_number'),
      ]),
    )
  }
  const { total } = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  const rows = await query
    .orderBy('kanban_columns.position')
    .orderBy('kanban_leads.position')
    .orderBy('kanban_leads.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  return { rows, total: Number(total) }
}

/** Leads and value per (column, status) of a board: what the board's stats are made of. */
export async function boardTotals(db: Db, boardId: number) {
  const rows = await db
    .selectFrom('kanban_leads')
    .select((eb) => [
      'column_id',
      'status',
      eb.fn.countAll<number>().as('leads'),
      eb.fn.sum<number>('value_cents').as('cents'),
    ])
    .where('board_id', '=', boardId)
    .groupBy(['column_id', 'status'])
    .execute()
  return rows.map((r) => ({
    columnId: r.column_id,
    status: r.status,
    leads: Number(r.leads),
    cents: Number(r.cents ?? 0),
  }))
}

/** Leads per column of some boards (listing columns with their counts). */
export async function countsByColumn(db: Db, columnIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  if (columnIds.length === 0) return out
  const rows = await db
    .selectFrom('kanban_leads')
    .select((eb) => ['column_id', eb.fn.countAll<number>().as('n')])
    .where('column_id', 'in', columnIds)
    .groupBy('column_id')
    .execute()
  for (const row of rows) out.set(row.column_id, Number(row.n))
  return out
}
