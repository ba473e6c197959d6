import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { errors, FileResponse, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { sendFile } from '../media/routes.js'
import * as S from './schemas.js'
import { sendMediaInput, sendTextInput } from './send-requests.js'
import type { MessageService } from './service.js'

const tags = ['Messages']

export const messageRoutes: FastifyPluginAsyncTypebox<{ messages: MessageService }> = async (
  app,
  { messages },
) => {
  app.post(
    '/messages/send',
    {
      schema: {
        tags,
        summary: 'Queue a text message',
        description:
          "Stored as `pending` and sent by the instance in turn, spaced by its randomized pause. Answers as soon as the message is committed, with the expected wait (`delay_seconds`) and the day's remaining quota. Sends that arrive together are stored in one transaction; when fewer messages are left in the day's quota than were sent together, the first to arrive get them and the rest are refused with 429 `QUOTA_EXCEEDED`.",
        body: S.SendBody,
        response: {
          201: Success(S.Queued),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'QUOTA_EXCEEDED', 'AUTOMATION_ACTIVE'),
        },
      },
    },
    async (request, reply) => {
      const queued = await messages.queueText(authOf(request), sendTextInput(request.body))
      return reply.status(201).send(
        ok(
          {
            ...messages.present(queued.row),
            delay_seconds: queued.delaySeconds,
            remaining_quota: queued.remainingQuota,
          },
          queued.row.scheduled_at ? 'Message scheduled' : 'Message added to queue',
        ),
      )
    },
  )

  app.post(
    '/messages/send-media',
    {
      schema: {
        tags,
        summary: 'Queue a media message (an upload by media_id, or a URL)',
        description:
          'Queued like `/messages/send` (201 with `delay_seconds` and `remaining_quota`). Give `media_id` (from `POST /media/upload`) or `media_url`: the server downloads the URL now, from public addresses only, and checks it like an upload (type from the bytes, the limits per type: 413 FILE_TOO_LARGE, 422 UNSUPPORTED_MEDIA_TYPE). `media_type` may be left out; when given, the file must be of that type.',
        body: S.SendMediaBody,
        response: {
          201: Success(S.Queued),
          ...errors(
            'UNAUTHENTICATED',
            'BAD_REQUEST',
            'NOT_FOUND',
            'QUOTA_EXCEEDED',
            'AUTOMATION_ACTIVE',
            'FILE_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
          ),
        },
      },
    },
    async (request, reply) => {
      const queued = await messages.queueMedia(authOf(request), sendMediaInput(request.body))
      return reply.status(201).send(
        ok(
          {
            ...messages.present(queued.row),
            delay_seconds: queued.delaySeconds,
            remaining_quota: queued.remainingQuota,
          },
          queued.row.scheduled_at ? 'Message scheduled' : 'Message added to queue',
        ),
      )
    },
  )

  app.get(
    '/messages/:uuid/media',
    {
      schema: {
        tags,
        summary: "A message's file (received or sent), with its Content-Type",
        description:
          'Received files are stored when the message arrives; until then, or when a message has no file, 404.',
        params: S.MessageParams,
        produces: ['application/octet-stream'],
        response: { 200: FileResponse, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request, reply) => sendFile(reply, await messages.mediaFile(authOf(request), request.params.uuid)),
  )

  app.get(
    '/messages',
    {
      schema: {
        tags,
        summary: 'List messages, newest first',
        querystring: S.ListQuery,
        response: { 200: Paginated(S.Message), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await messages.list(authOf(request), request.query as never, {
        limit: page.perPage,
        offset: page.offset,
      })
      return {
        success: true as const,
        data: rows.map(messages.present),
        meta: paginationMeta(total, page, rows.length),
      }
    },
  )

  app.get(
    '/messages/:uuid',
    {
      schema: {
        tags,
        summary: 'A message',
        params: S.MessageParams,
        response: { 200: Success(S.Message), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ok(messages.present(await messages.find(authOf(request), request.params.uuid))),
  )

  app.get(
    '/messages/:uuid/status',
    {
      schema: {
        tags,
        summary: "A message's status only",
        params: S.MessageParams,
        response: { 200: Success(S.MessageStatusView), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const full = messages.present(await messages.find(authOf(request), request.params.uuid))
      return ok({
        uuid: full.uuid,
        status: full.status,
        sent_at: full.sent_at,
        delivered_at: full.delivered_at,
        read_at: full.read_at,
        played_at: full.played_at,
        failed_at: full.failed_at,
        error_code: full.error_code,
        error_message: full.error_message,
        retry_count: full.retry_count,
      })
    },
  )

  app.patch(
    '/messages/:uuid/edit',
    {
      schema: {
        tags,
        summary: 'Edit a sent text message',
        description:
          'Only outgoing messages whose status is sent, delivered or read (409 MESSAGE_NOT_EDITABLE otherwise).',
        params: S.MessageParams,
        body: Type.Object({ message: Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: {
          200: Success(S.Message),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'MESSAGE_NOT_EDITABLE', 'INSTANCE_NOT_CONNECTED'),
        },
      },
    },
    async (request) =>
      ok(
        messages.present(await messages.edit(authOf(request), request.params.uuid, request.body.message)),
        'Message edited',
      ),
  )

  app.delete(
    '/messages/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete an outgoing message for everyone',
        description:
          "The message is also deleted from the recipient's WhatsApp (revoke); a message still queued is withdrawn.",
        params: S.MessageParams,
        response: {
          200: Success(S.Message),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'FORBIDDEN', 'INSTANCE_NOT_CONNECTED'),
        },
      },
    },
    async (request) =>
      ok(messages.present(await messages.remove(authOf(request), request.params.uuid)), 'Message deleted'),
  )

  app.post(
    '/messages/:uuid/reaction',
    {
      schema: {
        tags,
        summary: 'React to a message (a new emoji replaces the old one)',
        params: S.MessageParams,
        body: Type.Object({ emoji: Type.String({ minLength: 1, maxLength: 32 }) }),
        response: {
          200: Success(Type.Object({ reactions: Type.Array(S.Reaction) })),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INSTANCE_NOT_CONNECTED'),
        },
      },
    },
    async (request) =>
      ok(
        { reactions: await messages.react(authOf(request), request.params.uuid, request.body.emoji) },
        'Reaction sent',
      ),
  )

  app.delete(
    '/messages/:uuid/reaction',
    {
      schema: {
        tags,
        summary: 'Remove your reaction from a message',
        params: S.MessageParams,
        response: {
          200: Success(Type.Object({ reactions: Type.Array(S.Reaction) })),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INSTANCE_NOT_CONNECTED'),
        },
      },
    },
    async (request) =>
      ok({ reactions: await messages.react(authOf(request), request.params.uuid, '') }, 'Reaction removed'),
  )

  app.get(
    '/messages/:uuid/reactions',
    {
      schema: {
        tags,
        summary: 'Reactions to a message (one per reactor)',
        params: S.MessageParams,
        response: {
          200: Success(Type.Object({ reactions: Type.Array(S.Reaction) })),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND'),
        },
      },
    },
    async (request) => ok({ reactions: await messages.reactions(authOf(request), request.params.uuid) }),
  )
}
