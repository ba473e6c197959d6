import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import { parseEntityRef } from '../lib/ids.js'
import type { MessageRow } from '../messages/repository.js'
import type { MessageService, SendMediaInput, SendTextInput } from '../messages/service.js'
import { type Me, namesNeeded, presentChatMessage } from './present.js'
import * as repo from './repository.js'

export type ChatService = ReturnType<typeof createChatService>

export interface HistoryQuery {
  before_id?: string | undefined
  after_id?: string | undefined
  from?: string | undefined
  to?: string | undefined
  limit?: number | undefined
}

/**
 * Messages as an inbox shows them: a conversation's history (standard or chat format), a contact's
 * messages, and the chat endpoints that act on messages and answer them in the chat format.
 */
export function createChatService(deps: {
  db: Kysely<DB>
  instances: Pick<InstanceService, 'find'>
  conversations: Pick<ConversationService, 'find'>
  contacts: Pick<ContactService, 'find' | 'namesOf'>
  messages: Pick<
    MessageService,
    'present' | 'list' | 'queueText' | 'queueMedia' | 'edit' | 'remove' | 'react' | 'find'
  >
}) {
  const { db, instances, conversations, contacts, messages } = deps

  /** Chat-format views of messages of one instance, with names and reactions looked up once. */
  async function chatViews(instanceId: number, me: Me, rows: MessageRow[]) {
    const reactions = await repo.reactionsOf(
      db,
      rows.map((r) => r.id),
    )
    const wanted = namesNeeded(rows, reactions)
    const names = await contacts.namesOf(instanceId, wanted.phones, wanted.lids)
    return rows.map((row) =>
      presentChatMessage(
        messages,
        row,
        reactions.filter((r) => r.message_id === row.id),
        names,
        me,
      ),
    )
  }

  /** One message in the chat format, as the caller may see it. */
  async function chatView(auth: AuthContext, row: MessageRow) {
    const instance = await instances.find(auth, { id: row.instance_id })
    const [view] = await chatViews(
      instance.id,
      { phone: instance.phone_number, name: instance.profile_name },
      [row],
    )
    return view!
  }

  /** `before_id` / `after_id`: a message's integer id, or its uuid within the conversation. */
  async function cursor(conversationId: number, field: string, value: string | undefined) {
    if (value === undefined || value === '') return undefined
    // `after_id=0`: from the very first message.
    if (/^\d{1,10}$/.test(value.trim())) return Number(value.trim())
    const ref = parseEntityRef(value.trim())
    const id = ref && 'uuid' in ref ? await repo.messageIdByUuid(db, conversationId, ref.uuid) : undefined
    if (id === undefined)
      throw validationError(field, `The ${field} must be a message id of this conversation.`)
    return id
  }

  return {
    chatView,

    /** `{messages, has_more, oldest_id, newest_id}`; messages oldest first. */
    async history(auth: AuthContext, ref: string, query: HistoryQuery, format: { chat: boolean }) {
      const conversation = await conversations.find(auth, ref)
      const { rows, hasMore } = await repo.history(db, conversation.id, {
        beforeId: await cursor(conversation.id, 'before_id', query.before_id),
        afterId: await cursor(conversation.id, 'after_id', query.after_id),
        from: query.from,
        to: query.to,
        limit: query.limit ?? 50,
      })
      const me = { phone: conversation.instance_phone, name: conversation.instance_profile_name }
      return {
        messages: format.chat
          ? await chatViews(conversation.instance_id, me, rows)
          : rows.map(messages.present),
        has_more: hasMore,
        oldest_id: rows[0]?.id ?? null,
        newest_id: rows[rows.length - 1]?.id ?? null,
      }
    },

    /** The messages of a contact's one-to-one conversation, newest first. */
    async contactMessages(auth: AuthContext, ref: string, page: { limit: number; offset: number }) {
      const contact = await contacts.find(auth, ref)
      const conversation = await repo.conversationOfContact(db, contact.id)
      if (!conversation) return { items: [], total: 0 }
      const { rows, total } = await messages.list(auth, { conversation_id: conversation.id }, page)
      return { items: rows.map(messages.present), total }
    },

    /** Queues a text like /messages/send and answers it in the chat format. */
    async send(auth: AuthContext, input: SendTextInput) {
      const queued = await messages.queueText(auth, input, { source: 'chat' })
      return {
        ...(await chatView(auth, queued.row)),
        delay_seconds: queued.delaySeconds,
        remaining_quota: queued.remainingQuota,
      }
    },

    /** Queues a file like /messages/send-media and answers it in the chat format. */
    async sendMedia(auth: AuthContext, input: SendMediaInput) {
      const queued = await messages.queueMedia(auth, input, { source: 'chat' })
      return {
        ...(await chatView(auth, queued.row)),
        delay_seconds: queued.delaySeconds,
        remaining_quota: queued.remainingQuota,
      }
    },

    async edit(auth: AuthContext, ref: string, text: string) {
      return chatView(auth, await messages.edit(auth, ref, text))
    },

    async remove(auth: AuthContext, ref: string) {
      return chatView(auth, await messages.remove(auth, ref))
    },

    /** Reacts (an empty emoji removes the reaction) and answers the message with its grouped reactions. */
    async react(auth: AuthContext, ref: string, emoji: string) {
      await messages.react(auth, ref, emoji)
      return chatView(auth, await messages.find(auth, ref))
    },
  }
}
