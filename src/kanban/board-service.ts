import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import * as boards from './board-repository.js'
import { boardStats } from './board-stats.js'
import * as leads from './lead-repository.js'
import { type ColumnView, presentBoard, presentColumn } from './present.js'
import { recordActivity } from './timeline.js'
import { clamp, transact } from './tx.js'

export type BoardService = ReturnType<typeof createBoardService>

const DEFAULT_COLUMNS = ['New', 'Contacted', 'Qualified', 'Proposal', 'Negotiation']

type ColumnSpec = string | { name: string; color?: string | undefined }

/** Boards and their ordered columns; the tenant's, reachable by its user and sk_ tokens alike. */
export function createBoardService(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps
  const nowIso = () => clock.now().toISOString()

  async function findBoard(auth: AuthContext, ref: string) {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await boards.findBoard(db, auth.tenantId, parsed) : undefined
    if (!row) throw notFound('Board')
    return row
  }

  async function findColumn(auth: AuthContext, ref: string, field?: string) {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await boards.findColumn(db, auth.tenantId, parsed) : undefined
    if (!row) {
      if (field) throw validationError(field, 'The column was not found.')
      throw notFound('Column')
    }
    return row
  }

  async function columnViews(boardRows: { id: number; uuid: string }[]): Promise<Map<number, ColumnView[]>> {
    const columns = await boards.columnsOf(
      db,
      boardRows.map((b) => b.id),
    )
    const counts = await leads.countsByColumn(
      db,
      columns.map((c) => c.id),
    )
    const uuids = new Map(boardRows.map((b) => [b.id, b.uuid]))
    const out = new Map<number, ColumnView[]>()
    for (const column of columns) {
      const view = presentColumn(column, uuids.get(column.board_id)!, counts.get(column.id) ?? 0)
      out.set(column.board_id, [...(out.get(column.board_id) ?? []), view])
    }
    return out
  }

  async function view(board: boards.BoardRow) {
    return presentBoard(board, (await columnViews([board])).get(board.id) ?? [])
  }

  /**
   * Re-reads the board's columns under its lock, places `columnId` at `position` (the end when
   * absent) and numbers them all 0..n-1; without `columnId`, only closes the gaps.
   */
  async function placeColumn(
    trx: Kysely<DB>,
    boardId: number,
    columnId: number | null,
    position: number | undefined,
  ) {
    const ids = (await boards.columnsOf(trx, [boardId])).map((c) => c.id).filter((id) => id !== columnId)
    if (columnId !== null) ids.splice(clamp(position ?? ids.length, 0, ids.length), 0, columnId)
    await boards.renumberColumns(trx, ids, nowIso())
  }

  return {
    findBoard,
    findColumn,

    async list(auth: AuthContext, page: { limit: number; offset: number }) {
      const { rows, total } = await boards.listBoards(db, auth.tenantId, page)
      const columns = await columnViews(rows)
      return { items: rows.map((row) => presentBoard(row, columns.get(row.id) ?? [])), total }
    },

    async get(auth: AuthContext, ref: string) {
      const row = await findBoard(auth, ref)
      const board = await view(row)
      return { ...board, stats: boardStats(await leads.boardTotals(db, row.id), board.columns) }
    },

    async create(
      auth: AuthContext,
      input: { name: string; description?: string | null; currency?: string; columns?: ColumnSpec[] },
    ) {
      const at = nowIso()
      const specs = (input.columns ?? DEFAULT_COLUMNS).map((c) => (typeof c === 'string' ? { name: c } : c))
      const id = await db.transaction().execute(async (trx) => {
        const boardId = await boards.insertBoard(trx, {
          uuid: newUuid(),
          tenant_id: auth.tenantId,
          name: input.name.trim(),
          description: input.description ?? null,
          currency: (input.currency ?? 'USD').toUpperCase(),
          created_at: at,
          updated_at: at,
        })
        await boards.insertColumns(
          trx,
          specs.map((spec, position) => ({
            uuid: newUuid(),
            tenant_id: auth.tenantId,
            board_id: boardId,
            name: spec.name.trim(),
            color: spec.color ?? null,
            position,
            created_at: at,
            updated_at: at,
          })),
        )
        return boardId
      })
      return view((await boards.findBoardById(db, id))!)
    },

    async update(
      auth: AuthContext,
      ref: string,
      patch: { name?: string; description?: string | null; currency?: string },
    ) {
      const board = await findBoard(auth, ref)
      await boards.updateBoard(db, auth.tenantId, board.id, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.currency !== undefined ? { currency: patch.currency.toUpperCase() } : {}),
        updated_at: nowIso(),
      })
      return view((await boards.findBoardById(db, board.id))!)
    },

    async remove(auth: AuthContext, ref: string): Promise<void> {
      const board = await findBoard(auth, ref)
      await transact(db, async (trx) => {
        if (!(await boards.lockBoard(trx, auth.tenantId, board.id))) throw notFound('Board')
        await boards.deleteBoard(trx, auth.tenantId, board.id)
      })
    },

    async columns(auth: AuthContext, ref: string) {
      const board = await findBoard(auth, ref)
      return (await columnViews([board])).get(board.id) ?? []
    },

    async addColumn(
      auth: AuthContext,
      ref: string,
      input: { name: string; color?: string | null; position?: number },
    ) {
      const board = await findBoard(auth, ref)
      const at = nowIso()
      const id = await transact(db, async (trx) => {
        if (!(await boards.lockBoard(trx, auth.tenantId, board.id))) throw notFound('Board')
        const [columnId] = await boards.insertColumns(trx, [
          {
            uuid: newUuid(),
            tenant_id: auth.tenantId,
            board_id: board.id,
            name: input.name.trim(),
            color: input.color ?? null,
            // Placed for real by placeColumn, under the board's lock.
            position: 1_000_000,
            created_at: at,
            updated_at: at,
          },
        ])
        await placeColumn(trx, board.id, columnId!, input.position)
        return columnId!
      })
      const column = (await boards.findColumnById(db, id))!
      return presentColumn(column, board.uuid, 0)
    },

    async updateColumn(
      auth: AuthContext,
      ref: string,
      patch: { name?: string; color?: string | null; position?: number },
    ) {
      const column = await findColumn(auth, ref)
      await transact(db, async (trx) => {
        if (!(await boards.lockBoard(trx, auth.tenantId, column.board_id))) throw notFound('Column')
        await boards.updateColumn(trx, auth.tenantId, column.id, {
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.color !== undefined ? { color: patch.color } : {}),
          updated_at: nowIso(),
        })
        if (patch.position !== undefined) await placeColumn(trx, column.board_id, column.id, patch.position)
      })
      const board = (await boards.findBoardById(db, column.board_id))!
      return (await columnViews([board])).get(board.id)!.find((c) => c.numeric_id === column.id)!
    },

    /**
     * Deletes a column. One that holds leads needs `target` (a column of the same board): its leads
     * move there, after the ones already in it, each with a `moved` activity; otherwise 409.
     */
    async removeColumn(auth: AuthContext, ref: string, targetRef: string | undefined): Promise<void> {
      const column = await findColumn(auth, ref)
      const target = targetRef ? await findColumn(auth, targetRef, 'target_column_id') : null
      if (target && (target.board_id !== column.board_id || target.id === column.id)) {
        throw validationError(
          'target_column_id',
          'The target column must be another column of the same board.',
        )
      }
      const at = nowIso()
      await transact(db, async (trx) => {
        if (!(await boards.lockBoard(trx, auth.tenantId, column.board_id))) throw notFound('Column')
        const locked = await leads.lockColumns(
          trx,
          auth.tenantId,
          target ? [column.id, target.id] : [column.id],
        )
        if (!locked.includes(column.id)) throw notFound('Column')
        if (target && !locked.includes(target.id)) {
          throw validationError('target_column_id', 'The column was not found.')
        }
        const moving = await leads.idsInColumn(trx, column.id)
        if (moving.length > 0 && !target) {
          throw new AppError(
            'CONFLICT',
            `The column holds ${moving.length} lead(s): give target_column_id to move them, or move them first.`,
            { leads_count: moving.length },
          )
        }
        if (target) {
          const start = await leads.countInColumn(trx, target.id)
          for (const [index, leadId] of moving.entries()) {
            await leads.updateLead(trx, auth.tenantId, leadId, {
              column_id: target.id,
              position: start + index,
              updated_at: at,
            })
            await recordActivity(trx, auth, {
              leadId,
              type: 'moved',
              description: `Moved from ${column.name} to ${target.name} (column deleted)`,
              data: {
                from_column_id: column.id,
                from_column: column.name,
                to_column_id: target.id,
                to_column: target.name,
                position: start + index,
              },
              at,
            })
          }
        }
        await boards.deleteColumn(trx, auth.tenantId, column.id)
        await placeColumn(trx, column.board_id, null, undefined)
      })
    },

    /** Puts the board's columns in the given order; the list must name each of them once. */
    async reorder(auth: AuthContext, ref: string, order: string[]) {
      const board = await findBoard(auth, ref)
      await transact(db, async (trx) => {
        if (!(await boards.lockBoard(trx, auth.tenantId, board.id))) throw notFound('Board')
        const current = await boards.columnsOf(trx, [board.id])
        const ids = order.map((value) => {
          const parsed = parseEntityRef(value)
          const found =
            parsed && current.find((c) => ('id' in parsed ? c.id === parsed.id : c.uuid === parsed.uuid))
          if (!found) throw validationError('column_ids', `${value} is not a column of this board.`)
          return found.id
        })
        if (new Set(ids).size !== ids.length || ids.length !== current.length) {
          throw validationError(
            'column_ids',
            'The column_ids field must list every column of the board once.',
          )
        }
        await boards.renumberColumns(trx, ids, nowIso())
      })
      return (await columnViews([board])).get(board.id) ?? []
    },
  }
}
