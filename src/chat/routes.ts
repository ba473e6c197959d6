import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import * as C from '../conversations/schemas.js'
import type { ConversationService } from '../conversations/service.js'
import { authOf } from '../http/authenticate.js'
import { errors, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { MessageParams, SendBody, SendMediaBody } from '../messages/schemas.js'
import { sendMediaInput, sendTextInput } from '../messages/send-requests.js'
import { ChatMessage, ChatQueued, History } from './schemas.js'
import type { ChatService } from './service.js'

const tags = ['Chat API']
const notFound = errors('UNAUTHENTICATED', 'NOT_FOUND')
const engine = errors('UNAUTHENTICATED', 'NOT_FOUND', 'INSTANCE_NOT_CONNECTED', 'ENGINE_ERROR')

/** The UI-optimized endpoints: the same data as the standard ones, in the chat format. */
export const chatRoutes: FastifyPluginAsyncTypebox<{
  conversations: ConversationService
  chat: ChatService
}> = async (app, { conversations, chat }) => {
  app.get(
    '/chat/conversations',
    {
      schema: {
        tags,
        summary: 'Conversations for a chat list: tags, picture, unread count, instance',
        description: 'The filters of GET /conversations.',
        querystring: C.ConversationListQuery,
        response: { 200: Paginated(C.Conversation), ...notFound },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await conversations.list(
        authOf(request),
        request.query,
        { limit: page.perPage, offset: page.offset },
        { archived: false, tags: true },
      )
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.get(
    '/chat/conversations/:uuid',
    {
      schema: {
        tags,
        summary: 'A conversation, with its tags',
        params: C.ConversationParams,
        response: { 200: Success(C.Conversation), ...notFound },
      },
    },
    async (request) => ok(await conversations.get(authOf(request), request.params.uuid)),
  )

  app.get(
    '/chat/conversations/:uuid/messages',
    {
      schema: {
        tags,
        summary: 'Messages with formatted_body and grouped_reactions, oldest first',
        params: C.ConversationParams,
        querystring: C.HistoryQuery,
        response: { 200: Success(History), ...notFound },
      },
    },
    async (request) =>
      ok(await chat.history(authOf(request), request.params.uuid, request.query, { chat: true })),
  )

  app.post(
    '/chat/conversations/:uuid/archive',
    {
      schema: {
        tags,
        summary: 'Archive a conversation',
        params: C.ConversationParams,
        response: { 200: Success(C.Archived), ...notFound },
      },
    },
    async (request) =>
      ok(await conversations.archive(authOf(request), request.params.uuid), 'Conversation archived.'),
  )

  app.delete(
    '/chat/conversations/:uuid/archive',
    {
      schema: {
        tags,
        summary: 'Unarchive a conversation',
        params: C.ConversationParams,
        response: { 200: Success(C.Restored), ...notFound },
      },
    },
    async (request) =>
      ok(await conversations.unarchive(authOf(request), request.params.uuid), 'Conversation restored.'),
  )

  app.post(
    '/chat/conversations/:uuid/mark-read',
    {
      schema: {
        tags,
        summary: 'Mark read: the unread count goes to 0 and read receipts go to WhatsApp',
        params: C.ConversationParams,
        response: { 200: Success(C.MarkedRead), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'ENGINE_ERROR') },
      },
    },
    async (request) =>
      ok(await conversations.markRead(authOf(request), request.params.uuid), 'Conversation marked as read.'),
  )

  app.post(
    '/chat/send',
    {
      schema: {
        tags,
        summary: 'Queue a text message and answer it in the chat format',
        description: 'Like POST /messages/send.',
        body: SendBody,
        response: {
          201: Success(ChatQueued),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'QUOTA_EXCEEDED', 'AUTOMATION_ACTIVE'),
        },
      },
    },
    async (request, reply) => {
      const sent = await chat.send(authOf(request), sendTextInput(request.body))
      return reply.status(201).send(ok(sent, 'Message added to queue'))
    },
  )

  app.post(
    '/chat/send-media',
    {
      schema: {
        tags,
        summary: 'Queue a media message and answer it in the chat format',
        description: 'Like POST /messages/send-media: `media_id` (an upload) or `media_url`.',
        body: SendMediaBody,
        response: {
          201: Success(ChatQueued),
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
      const sent = await chat.sendMedia(authOf(request), sendMediaInput(request.body))
      return reply.status(201).send(ok(sent, 'Message added to queue'))
    },
  )

  app.patch(
    '/chat/messages/:uuid',
    {
      schema: {
        tags,
        summary: 'Edit a sent text message',
        params: MessageParams,
        body: Type.Object({ message: Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: { 200: Success(ChatMessage), ...engine, ...errors('MESSAGE_NOT_EDITABLE') },
      },
    },
    async (request) =>
      ok(await chat.edit(authOf(request), request.params.uuid, request.body.message), 'Message edited'),
  )

  app.delete(
    '/chat/messages/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete an outgoing message for everyone',
        params: MessageParams,
        response: { 200: Success(ChatMessage), ...engine, ...errors('FORBIDDEN') },
      },
    },
    async (request) => ok(await chat.remove(authOf(request), request.params.uuid), 'Message deleted'),
  )

  app.post(
    '/chat/messages/:uuid/reaction',
    {
      schema: {
        tags,
        summary: 'React to a message; answers it with its grouped reactions',
        params: MessageParams,
        body: Type.Object({ emoji: Type.String({ minLength: 1, maxLength: 32 }) }),
        response: { 200: Success(ChatMessage), ...engine },
      },
    },
    async (request) =>
      ok(await chat.react(authOf(request), request.params.uuid, request.body.emoji), 'Reaction sent'),
  )

  app.delete(
    '/chat/messages/:uuid/reaction',
    {
      schema: {
        tags,
        summary: 'Remove your reaction from a message',
        params: MessageParams,
        response: { 200: Success(ChatMessage), ...engine },
      },
    },
    async (request) => ok(await chat.react(authOf(request), request.params.uuid, ''), 'Reaction removed'),
  )
}
