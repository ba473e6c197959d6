import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { errors, ok, PageQuery, PaginationMeta, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { InstanceParams } from '../instances/schemas.js'
import * as S from './schemas.js'
import type { GroupService } from './service.js'

const tags = ['Groups']
const failures = errors('UNAUTHENTICATED', 'NOT_FOUND', 'INSTANCE_NOT_CONNECTED', 'SERVICE_UNAVAILABLE')
const groupFailures = errors(
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'INSTANCE_NOT_CONNECTED',
  'SERVICE_UNAVAILABLE',
  'ENGINE_ERROR',
)

/** The web docs' group management under `/instances/{uuid}/groups` (DECISIONS §4). */
export const groupRoutes: FastifyPluginAsyncTypebox<{ groups: GroupService }> = async (app, { groups }) => {
  app.get(
    '/instances/:uuid/groups',
    {
      schema: {
        tags,
        summary: 'The WhatsApp groups the instance belongs to',
        params: InstanceParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            data: Type.Object({ groups: Type.Array(S.GroupSummary), total: Type.Integer() }),
            meta: PaginationMeta,
          }),
          ...failures,
        },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await groups.list(authOf(request), request.params.uuid, {
        limit: page.perPage,
        offset: page.offset,
      })
      return {
        success: true as const,
        data: { groups: items, total },
        meta: paginationMeta(total, page, items.length),
      }
    },
  )

  app.post(
    '/instances/:uuid/groups',
    {
      schema: {
        tags,
        summary: 'Create a group with participants',
        params: InstanceParams,
        body: S.CreateGroupBody,
        response: {
          201: Success(Type.Object({ group: S.GroupDetail, message: Type.String() })),
          ...groupFailures,
        },
      },
    },
    async (request, reply) => {
      const { subject, participants } = request.body
      const group = await groups.create(authOf(request), request.params.uuid, subject, participants)
      const message = 'Group created successfully'
      return reply.status(201).send(ok({ group, message }, message))
    },
  )

  app.get(
    '/instances/:uuid/groups/:jid',
    {
      schema: {
        tags,
        summary: 'Metadata of a group: subject, description, owner, participants',
        params: S.GroupParams,
        response: { 200: Success(S.GroupDetail), ...groupFailures },
      },
    },
    async (request) => ok(await groups.metadata(authOf(request), request.params.uuid, request.params.jid)),
  )

  app.patch(
    '/instances/:uuid/groups/:jid',
    {
      schema: {
        tags,
        summary: 'Change the group name and/or description',
        params: S.GroupParams,
        body: S.UpdateGroupBody,
        response: { 200: Success(S.GroupDetail), ...groupFailures },
      },
    },
    async (request) =>
      ok(
        await groups.update(authOf(request), request.params.uuid, request.params.jid, request.body),
        'Group updated',
      ),
  )

  for (const [method, path, action, summary] of [
    ['POST', 'participants', 'add', 'Add participants (WhatsApp answers for each one)'],
    ['DELETE', 'participants', 'remove', 'Remove participants'],
    ['POST', 'admins', 'promote', 'Promote participants to admin'],
    ['DELETE', 'admins', 'demote', 'Demote admins to plain participants'],
  ] as const) {
    app.route({
      method,
      url: `/instances/:uuid/groups/:jid/${path}`,
      schema: {
        tags,
        summary,
        params: S.GroupParams,
        body: S.ParticipantsBody,
        response: { 200: Success(S.ParticipantsOutcome), ...groupFailures },
      },
      handler: async (request) => {
        const { uuid, jid } = request.params
        const outcome = await groups.participants(
          authOf(request),
          uuid,
          jid,
          request.body.participants,
          action,
        )
        return ok(outcome.data, outcome.message)
      },
    })
  }

  app.get(
    '/instances/:uuid/groups/:jid/invite',
    {
      schema: {
        tags,
        summary: 'The invite code and link of a group (admins only)',
        params: S.GroupParams,
        response: { 200: Success(S.Invite), ...groupFailures },
      },
    },
    async (request) => ok(await groups.inviteCode(authOf(request), request.params.uuid, request.params.jid)),
  )

  app.delete(
    '/instances/:uuid/groups/:jid/invite',
    {
      schema: {
        tags,
        summary: 'Revoke the invite link; answers the new one',
        params: S.GroupParams,
        response: { 200: Success(S.RevokedInvite), ...groupFailures },
      },
    },
    async (request) =>
      ok(
        await groups.revokeInvite(authOf(request), request.params.uuid, request.params.jid),
        'Invite link revoked',
      ),
  )

  app.post(
    '/instances/:uuid/groups/:jid/leave',
    {
      schema: {
        tags,
        summary: 'The instance leaves the group',
        params: S.GroupParams,
        response: { 200: Success(Type.Object({ jid: Type.String() })), ...groupFailures },
      },
    },
    async (request) =>
      ok(await groups.leave(authOf(request), request.params.uuid, request.params.jid), 'Left the group'),
  )
}
