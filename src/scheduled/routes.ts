import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ContactService } from '../contacts/service.js'
import { authOf } from '../http/authenticate.js'
import { errors, ok, PageQuery, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { validationError } from '../http/errors.js'
import { Nullable } from '../http/schema.js'
import type { MessageRow } from '../messages/repository.js'
import type { MessageService } from '../messages/service.js'

const tags = ['Scheduled messages']
const Params = Type.Object({ uuid: Type.String({ description: 'The scheduled message uuid or id' }) })

const Scheduled = Type.Object({
  id: Type.String({ description: 'The uuid (scheduled items show the uuid as id)' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  instance_id: Type.Integer(),
  conversation_id: Nullable(Type.Integer()),
  recipient: Nullable(Type.String()),
  chat_jid: Type.String(),
  message: Nullable(Type.String()),
  media_url: Nullable(Type.String()),
  media_type: Nullable(Type.String()),
  scheduled_at: Type.String({ format: 'date-time' }),
  status: Type.String({ enum: ['pending', 'sent', 'delivered', 'read', 'failed', 'cancelled'] }),
  whatsapp_message_id: Nullable(Type.String()),
  sent_at: Nullable(Type.String({ format: 'date-time' })),
  error_message: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

function present(row: MessageRow) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    instance_id: row.instance_id,
    conversation_id: row.conversation_id,
    recipient: row.recipient_number,
    chat_jid: row.chat_jid,
    message: row.body ?? row.caption,
    media_url: row.media_url,
    media_type: row.type === 'text' ? null : row.type,
    scheduled_at: row.scheduled_at!,
    status: row.error_code === 'CANCELLED' ? 'cancelled' : row.status,
    whatsapp_message_id: row.whatsapp_message_id,
    sent_at: row.sent_at,
    error_message: row.error_message,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** Scheduled messages are queued messages with a `scheduled_at`: the sender sends them when due, restarts included. */
export const scheduledRoutes: FastifyPluginAsyncTypebox<{
  messages: MessageService
  contacts: ContactService
}> = async (app, { messages, contacts }) => {
  app.get(
    '/scheduled',
    {
      schema: {
        tags,
        summary: 'List scheduled messages, soonest first',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            instance_id: Type.Optional(Type.String()),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            status: Type.Optional(
              Type.String({ enum: ['pending', 'sent', 'delivered', 'read', 'failed', 'cancelled'] }),
            ),
          }),
        ]),
        response: { 200: Paginated(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await messages.listScheduled(authOf(request), request.query, {
        limit: page.perPage,
        offset: page.offset,
      })
      return {
        success: true as const,
        data: rows.map(present),
        meta: paginationMeta(total, page, rows.length),
      }
    },
  )

  app.post(
    '/scheduled',
    {
      schema: {
        tags,
        summary: 'Schedule a message',
        description:
          'Give `recipient` or `contact_id`. The message goes out once at `scheduled_at`, also if the server was down then (it goes out right after it starts).',
        body: Type.Object({
          instance_id: Type.Optional(Type.String({ description: 'Optional with an sk_ token' })),
          recipient: Type.Optional(Type.String()),
          contact_id: Type.Optional(
            Type.String({ description: 'A contact uuid or id (instead of recipient)' }),
          ),
          message: Type.String({ minLength: 1, maxLength: 4096 }),
          scheduled_at: Type.String({ format: 'date-time' }),
        }),
        response: { 201: Success(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'QUOTA_EXCEEDED') },
      },
    },
    async (request, reply) => {
      const auth = authOf(request)
      const body = request.body
      const recipient =
        body.recipient ?? (body.contact_id ? await contacts.phoneOf(auth, body.contact_id) : undefined)
      if (!recipient)
        throw validationError('recipient', 'The recipient field is required when contact_id is not given.')
      const queued = await messages.queueText(
        auth,
        { instance: body.instance_id, recipient, message: body.message, schedule_at: body.scheduled_at },
        { source: 'scheduled', futureOnly: true },
      )
      return reply.status(201).send(ok(present(queued.row), 'Message scheduled'))
    },
  )

  app.get(
    '/scheduled/:uuid',
    {
      schema: {
        tags,
        summary: 'A scheduled message',
        params: Params,
        response: { 200: Success(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const row = await messages.find(authOf(request), request.params.uuid)
      if (!row.scheduled_at) throw validationError('uuid', 'This message was not scheduled.')
      return ok(present(row))
    },
  )

  app.patch(
    '/scheduled/:uuid',
    {
      schema: {
        tags,
        summary: 'Change the text or time of a scheduled message that has not gone out',
        params: Params,
        body: Type.Object({
          message: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          scheduled_at: Type.Optional(Type.String({ format: 'date-time' })),
        }),
        response: { 200: Success(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) =>
      ok(
        present(await messages.reschedule(authOf(request), request.params.uuid, request.body)),
        'Scheduled message updated',
      ),
  )

  app.delete(
    '/scheduled/:uuid',
    {
      schema: {
        tags,
        summary: 'Cancel a scheduled message',
        params: Params,
        response: { 200: Success(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) =>
      ok(
        present(await messages.cancelScheduled(authOf(request), request.params.uuid)),
        'Scheduled message cancelled',
      ),
  )

  app.post(
    '/scheduled/:uuid/send-now',
    {
      schema: {
        tags,
        summary: 'Send a scheduled message now',
        params: Params,
        response: { 200: Success(Scheduled), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) =>
      ok(
        present(await messages.sendNow(authOf(request), request.params.uuid)),
        'Message queued to be sent now',
      ),
  )
}
