import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { History } from '../chat/schemas.js'
import type { ChatService } from '../chat/service.js'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import * as S from './schemas.js'
import type { ConversationService } from './service.js'

const tags = ['Conversations']
const notFound = errors('UNAUTHENTICATED', 'NOT_FOUND')

export const conversationRoutes: FastifyPluginAsyncTypebox<{
  conversations: ConversationService
  chat: ChatService
}> = async (app, { conversations, chat }) => {
  for (const archived of [false, true]) {
    app.get(
      archived ? '/conversations/archived' : '/conversations',
      {
        schema: {
          tags,
          summary: archived
            ? 'Archived conversations'
            : 'Conversations, newest activity first (archived ones aside)',
          description:
            "Filters combine. `tag_ids` matches conversations carrying any of the tags; a tag that is not the tenant's matches nothing. `format=chat` adds each conversation's tags (the Chat API list). With an sk_ token, only its instance's conversations.",
          querystring: S.ConversationListQuery,
          response: { 200: Paginated(S.Conversation), ...notFound },
        },
      },
      async (request) => {
        const page = pageOf(request.query)
        const { items, total } = await conversations.list(
          authOf(request),
          request.query,
          { limit: page.perPage, offset: page.offset },
          { archived, tags: request.query.format === 'chat' },
        )
        return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
      },
    )
  }

  app.get(
    '/conversations/:uuid',
    {
      schema: {
        tags,
        summary: 'A conversation, with its tags',
        params: S.ConversationParams,
        response: { 200: Success(S.Conversation), ...notFound },
      },
    },
    async (request) => ok(await conversations.get(authOf(request), request.params.uuid)),
  )

  app.delete(
    '/conversations/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a conversation and all its messages',
        params: S.ConversationParams,
        response: { 200: Done, ...notFound },
      },
    },
    async (request) => {
      await conversations.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Conversation deleted.' }
    },
  )

  app.get(
    '/conversations/:uuid/messages',
    {
      schema: {
        tags,
        summary: "A conversation's messages, oldest first, in windows",
        description:
          'Without cursors: the newest `limit` messages. `before_id`: older ones (infinite scroll up); `after_id`: newer ones. `format=chat` adds formatted_body and grouped_reactions.',
        params: S.ConversationParams,
        querystring: S.HistoryQuery,
        response: { 200: Success(History), ...notFound },
      },
    },
    async (request) =>
      ok(
        await chat.history(authOf(request), request.params.uuid, request.query, {
          chat: request.query.format === 'chat',
        }),
      ),
  )

  app.post(
    '/conversations/:uuid/archive',
    {
      schema: {
        tags,
        summary: 'Archive a conversation (a new incoming message unarchives it)',
        params: S.ConversationParams,
        response: { 200: Success(S.Archived), ...notFound },
      },
    },
    async (request) =>
      ok(await conversations.archive(authOf(request), request.params.uuid), 'Conversation archived.'),
  )

  for (const [method, path] of [
    ['POST', '/conversations/:uuid/unarchive'],
    ['DELETE', '/conversations/:uuid/archive'],
  ] as const) {
    app.route({
      method,
      url: path,
      schema: {
        tags,
        summary: 'Unarchive a conversation',
        description: 'Both spellings (and DELETE /chat/conversations/{uuid}/archive) do the same.',
        params: S.ConversationParams,
        response: { 200: Success(S.Restored), ...notFound },
      },
      handler: async (request) =>
        ok(await conversations.unarchive(authOf(request), request.params.uuid), 'Conversation restored.'),
    })
  }

  app.post(
    '/conversations/:uuid/mark-read',
    {
      schema: {
        tags,
        summary: 'Mark read: the unread count goes to 0 and read receipts go to WhatsApp',
        params: S.ConversationParams,
        response: {
          200: Success(S.MarkedRead),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'ENGINE_ERROR', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request) =>
      ok(await conversations.markRead(authOf(request), request.params.uuid), 'Conversation marked as read.'),
  )

  app.put(
    '/conversations/:uuid/tags',
    {
      schema: {
        tags,
        summary: "Replace a conversation's tags",
        description:
          'Tag uuids or ids; an empty list removes every tag. A tag that is not the tenant\'s is 422 with `details["tag_ids.N"]`.',
        params: S.ConversationParams,
        body: Type.Object({ tag_ids: Type.Array(Type.String(), { maxItems: 100 }) }),
        response: { 200: Success(Type.Object({ tags: Type.Array(S.TagBadge) })), ...notFound },
      },
    },
    async (request) =>
      ok(
        { tags: await conversations.setTags(authOf(request), request.params.uuid, request.body.tag_ids) },
        'Conversation tags updated',
      ),
  )
}
