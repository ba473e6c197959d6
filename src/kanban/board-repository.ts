import type { Insertable, Kysely, Updateable } from 'kysely'
import { isPostgres } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { KanbanBoardsTable, KanbanColumnsTable } from './table.js'

type Db = Kysely<DB>

const BOARD_COLUMNS = [
  'kanban_boards.id',
  'kanban_boards.uuid',
  'kanban_boards.tenant_id',
  'kanban_boards.name',
  'kanban_boards.description',
  'kanban_boards.currency',
  'kanban_boards.created_at',
  'kanban_boards.updated_at',
] as const

const COLUMN_COLUMNS = [
  'kanban_columns.id',
  'kanban_columns.uuid',
  'kanban_columns.tenant_id',
  'kanban_columns.board_id',
  'kanban_columns.name',
  'kanban_columns.color',
  'kanban_columns.position',
  'kanban_columns.created_at',
  'kanban_columns.updated_at',
] as const

export type BoardRow = Awaited<ReturnType<typeof findBoardById>> & {}
export type ColumnRow = Awaited<ReturnType<typeof findColumnById>> & {}

export async function findBoard(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('kanban_boards').select(BOARD_COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findBoardById(db: Db, id: number) {
  return db.selectFrom('kanban_boards').select(BOARD_COLUMNS).where('id', '=', id).executeTakeFirst()
}

/**
 * Locks a board's row until the transaction ends: changes to its column order take this lock.
 * PostgreSQL locks the row; SQLite runs one writing transaction at a time anyway.
 */
export async function lockBoard(db: Db, tenantId: number, boardId: number): Promise<boolean> {
  let query = db
    .selectFrom('kanban_boards')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', boardId)
  if (isPostgres(db)) query = query.forUpdate()
  return (await query.executeTakeFirst()) !== undefined
}

/** The tenant's boards, oldest first (the first one is the default for new leads). */
export async function listBoards(db: Db, tenantId: number, page: { limit: number; offset: number }) {
  const rows = await db
    .selectFrom('kanban_boards')
    .select(BOARD_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const { total } = await db
    .selectFrom('kanban_boards')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

export async function firstBoard(db: Db, tenantId: number) {
  return db
    .selectFrom('kanban_boards')
    .select(BOARD_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
}

export async function insertBoard(db: Db, row: Insertable<KanbanBoardsTable>): Promise<number> {
  const { id } = await db.insertInto('kanban_boards').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function updateBoard(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<KanbanBoardsTable>,
): Promise<void> {
  await db
    .updateTable('kanban_boards')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Deletes a board with its columns, leads and their activities. */
export async function deleteBoard(db: Db, tenantId: number, id: number): Promise<void> {
  // Leads first: a lead's column reference does not cascade, so that no column delete loses leads.
  await db.deleteFrom('kanban_leads').where('tenant_id', '=', tenantId).where('board_id', '=', id).execute()
  await db.deleteFrom('kanban_boards').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export async function findColumn(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('kanban_columns').select(COLUMN_COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findColumnById(db: Db, id: number) {
  return db.selectFrom('kanban_columns').select(COLUMN_COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** The columns of some boards, in board order. */
export async function columnsOf(db: Db, boardIds: number[]) {
  if (boardIds.length === 0) return []
  return db
    .selectFrom('kanban_columns')
    .select(COLUMN_COLUMNS)
    .where('board_id', 'in', boardIds)
    .orderBy('board_id')
    .orderBy('position')
    .orderBy('id')
    .execute()
}

export async function insertColumns(db: Db, rows: Insertable<KanbanColumnsTable>[]): Promise<number[]> {
  if (rows.length === 0) return []
  const inserted = await db.insertInto('kanban_columns').values(rows).returning('id').execute()
  return inserted.map((r) => r.id)
}

export async function updateColumn(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<KanbanColumnsTable>,
): Promise<void> {
  await db
    .updateTable('kanban_columns')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

export async function deleteColumn(db: Db, tenantId: number, id: number): Promise<void> {
  await db.deleteFrom('kanban_columns').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** Sets each column's position to its index in `ids` (the board's whole order). */
export async function renumberColumns(db: Db, ids: number[], at: string): Promise<void> {
  for (const [position, id] of ids.entries()) {
    await db
      .updateTable('kanban_columns')
      .set({ position, updated_at: at })
      .where('id', '=', id)
      .where('position', '!=', position)
      .execute()
  }
}
