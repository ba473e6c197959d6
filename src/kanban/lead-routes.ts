import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import type { LeadService } from './lead-service.js'
import type { Qualifier } from './module.js'
import * as S from './schemas.js'

const tags = ['Kanban']
const missing = errors('UNAUTHENTICATED', 'NOT_FOUND')

/** Leads: create, change, move, close (won/lost), notes and the activity timeline; AI qualification. */
export const leadRoutes: FastifyPluginAsyncTypebox<{ leads: LeadService; qualifier: Qualifier }> = async (
  app,
  { leads, qualifier },
) => {
  app.post(
    '/kanban/leads',
    {
      schema: {
        tags,
        summary: 'Create a lead',
        description:
          'Placed in `column_id`, else the first column of `board_id`, else the first column of your first board; at the end of the column unless `position` is given.',
        body: S.CreateLeadBody,
        response: { 201: Success(S.Lead), ...missing },
      },
    },
    async (request, reply) =>
      reply.status(201).send(ok(await leads.create(authOf(request), request.body), 'Lead created')),
  )

  app.get(
    '/kanban/leads/:uuid',
    {
      schema: { tags, summary: 'A lead', params: S.Params, response: { 200: Success(S.Lead), ...missing } },
    },
    async (request) => {
      const auth = authOf(request)
      return ok(await leads.view((await leads.find(auth, request.params.uuid)).id))
    },
  )

  app.put(
    '/kanban/leads/:uuid',
    {
      schema: {
        tags,
        summary: 'Update a lead (only the fields given)',
        description: 'Each change is written to the timeline; `column_id`/`position` move the lead.',
        params: S.Params,
        body: S.UpdateLeadBody,
        response: { 200: Success(S.Lead), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_TRANSITION') },
      },
    },
    async (request) =>
      ok(await leads.update(authOf(request), request.params.uuid, request.body), 'Lead updated'),
  )

  app.delete(
    '/kanban/leads/:uuid',
    { schema: { tags, summary: 'Delete a lead', params: S.Params, response: { 200: Done, ...missing } } },
    async (request) => {
      await leads.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Lead deleted' }
    },
  )

  app.post(
    '/kanban/leads/:uuid/move',
    {
      schema: {
        tags,
        summary: 'Move a lead to a column, at a position',
        description: 'Positions in both columns stay 0..n-1, also under concurrent moves.',
        params: S.Params,
        body: S.MoveBody,
        response: { 200: Success(S.Lead), ...missing },
      },
    },
    async (request) => ok(await leads.move(authOf(request), request.params.uuid, request.body), 'Lead moved'),
  )

  app.post(
    '/kanban/leads/:uuid/won',
    {
      schema: {
        tags,
        summary: 'Mark a lead as won',
        params: S.Params,
        body: S.WonBody,
        response: { 200: Success(S.Lead), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_TRANSITION') },
      },
    },
    async (request) =>
      ok(await leads.won(authOf(request), request.params.uuid, request.body ?? {}), 'Lead marked as won'),
  )

  app.post(
    '/kanban/leads/:uuid/lost',
    {
      schema: {
        tags,
        summary: 'Mark a lead as lost',
        params: S.Params,
        body: S.LostBody,
        response: { 200: Success(S.Lead), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_TRANSITION') },
      },
    },
    async (request) => {
      const body = request.body ?? {}
      return ok(
        await leads.lost(authOf(request), request.params.uuid, {
          reason: body.reason ?? body.lost_reason,
          note: body.note,
        }),
        'Lead marked as lost',
      )
    },
  )

  app.post(
    '/kanban/leads/:uuid/note',
    {
      schema: {
        tags,
        summary: "Add a note to the lead's timeline",
        params: S.Params,
        body: S.NoteBody,
        response: { 201: Success(S.Activity), ...missing },
      },
    },
    async (request, reply) => {
      const note = request.body.note ?? request.body.content
      return reply
        .status(201)
        .send(ok(await leads.note(authOf(request), request.params.uuid, note), 'Note added'))
    },
  )

  app.get(
    '/kanban/leads/:uuid/activities',
    {
      schema: {
        tags,
        summary: "The lead's timeline, newest first",
        params: S.Params,
        querystring: S.ActivitiesQuery,
        response: { 200: Paginated(S.Activity), ...missing },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await leads.activities(authOf(request), request.params.uuid, request.query, {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.post(
    '/kanban/leads/:uuid/ai-qualify',
    {
      schema: {
        tags,
        summary: "Score the lead from its conversation with the account's AI provider",
        description:
          'Reads the latest messages of the lead’s conversation (or its contact’s latest one) and asks the provider set with `PUT /settings/ai` for `{score 0-100, temperature: hot|warm|cold, summary, next_action}`; the result is stored on the lead. `400 AI_NOT_CONFIGURED` without a provider; `502 AI_PROVIDER_ERROR` when the provider fails, times out or answers something else (the lead is then unchanged).',
        params: S.Params,
        body: S.QualifyBody,
        response: {
          200: Success(S.QualifyResult),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'AI_NOT_CONFIGURED', 'AI_PROVIDER_ERROR'),
        },
      },
    },
    async (request) =>
      ok(await qualifier.qualify(authOf(request), request.params.uuid, request.body ?? {}), 'Lead qualified'),
  )
}
