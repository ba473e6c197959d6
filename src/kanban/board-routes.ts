import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, PageQuery, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import type { BoardService } from './board-service.js'
import type { LeadService } from './lead-service.js'
import * as S from './schemas.js'

const tags = ['Kanban']
const missing = errors('UNAUTHENTICATED', 'NOT_FOUND')

/** Boards and columns. User and sk_ tokens alike reach the tenant's boards (DECISIONS §3). */
export const boardRoutes: FastifyPluginAsyncTypebox<{ boards: BoardService; leads: LeadService }> = async (
  app,
  { boards, leads },
) => {
  app.get(
    '/kanban/boards',
    {
      schema: {
        tags,
        summary: 'List boards with their columns, oldest first',
        querystring: PageQuery,
        response: { 200: Paginated(S.Board), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await boards.list(authOf(request), {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.post(
    '/kanban/boards',
    {
      schema: {
        tags,
        summary: 'Create a board (with default columns unless columns are given)',
        body: S.CreateBoardBody,
        response: { 201: Success(S.Board), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request, reply) =>
      reply.status(201).send(ok(await boards.create(authOf(request), request.body), 'Board created')),
  )

  app.get(
    '/kanban/boards/:uuid',
    {
      schema: {
        tags,
        summary: 'A board with its columns and stats',
        description:
          'Stats: leads and value per column, open / won / lost totals, conversion rate (won per 100 leads) and win rate (won per 100 closed leads).',
        params: S.Params,
        response: { 200: Success(S.BoardWithStats), ...missing },
      },
    },
    async (request) => ok(await boards.get(authOf(request), request.params.uuid)),
  )

  app.put(
    '/kanban/boards/:uuid',
    {
      schema: {
        tags,
        summary: 'Rename a board, change its description or default currency',
        params: S.Params,
        body: S.UpdateBoardBody,
        response: { 200: Success(S.Board), ...missing },
      },
    },
    async (request) =>
      ok(await boards.update(authOf(request), request.params.uuid, request.body), 'Board updated'),
  )

  app.delete(
    '/kanban/boards/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a board with its columns and leads',
        params: S.Params,
        response: { 200: Done, ...missing },
      },
    },
    async (request) => {
      await boards.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Board deleted' }
    },
  )

  app.get(
    '/kanban/boards/:uuid/columns',
    {
      schema: {
        tags,
        summary: "A board's columns, in order",
        params: S.Params,
        response: { 200: Success(Type.Array(S.Column)), ...missing },
      },
    },
    async (request) => ok(await boards.columns(authOf(request), request.params.uuid)),
  )

  app.post(
    '/kanban/boards/:uuid/columns',
    {
      schema: {
        tags,
        summary: 'Add a column (at the end unless a position is given)',
        params: S.Params,
        body: S.CreateColumnBody,
        response: { 201: Success(S.Column), ...missing },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          ok(await boards.addColumn(authOf(request), request.params.uuid, request.body), 'Column created'),
        ),
  )

  app.post(
    '/kanban/boards/:uuid/columns/reorder',
    {
      schema: {
        tags,
        summary: "Put the board's columns in a new order",
        params: S.Params,
        body: S.ReorderBody,
        response: { 200: Success(Type.Array(S.Column)), ...missing },
      },
    },
    async (request) =>
      ok(
        await boards.reorder(authOf(request), request.params.uuid, request.body.column_ids),
        'Columns reordered',
      ),
  )

  app.get(
    '/kanban/boards/:uuid/leads',
    {
      schema: {
        tags,
        summary: "A board's leads in board order (column, then position), filtered",
        params: S.Params,
        querystring: S.LeadsQuery,
        response: { 200: Paginated(S.Lead), ...missing },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await leads.list(authOf(request), request.params.uuid, request.query, {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.put(
    '/kanban/columns/:uuid',
    {
      schema: {
        tags,
        summary: 'Rename, recolor or move a column within its board',
        params: S.Params,
        body: S.UpdateColumnBody,
        response: { 200: Success(S.Column), ...missing },
      },
    },
    async (request) =>
      ok(await boards.updateColumn(authOf(request), request.params.uuid, request.body), 'Column updated'),
  )

  app.delete(
    '/kanban/columns/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a column',
        description:
          'A column that holds leads is only deleted with `target_column_id` (another column of the board): its leads move there. Otherwise `409 CONFLICT`.',
        params: S.Params,
        querystring: S.DeleteColumnQuery,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => {
      await boards.removeColumn(authOf(request), request.params.uuid, request.query.target_column_id)
      return { success: true as const, message: 'Column deleted' }
    },
  )
}
