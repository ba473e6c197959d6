import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { newUuid } from '../lib/ids.js'
import * as repo from './repository.js'

export type ConversationService = ReturnType<typeof createConversationService>

/** Conversations: one per (instance, chat). What other modules may do with them. */
export function createConversationService() {
  return {
    /** Inside the caller's transaction: the conversation of a chat, created when new. */
    ensure(
      trx: Kysely<DB>,
      input: {
        tenantId: number
        instanceId: number
        chatJid: string
        isGroup: boolean
        contactId: number | null
        name?: string | null
        at: string
      },
    ): Promise<number> {
      return repo.ensureConversation(trx, {
        uuid: newUuid(),
        tenant_id: input.tenantId,
        instance_id: input.instanceId,
        chat_jid: input.chatJid,
        is_group: input.isGroup,
        contact_id: input.contactId,
        name: input.name ?? null,
        at: input.at,
      })
    },

    recordMessage: repo.recordMessage,
    findByChat: repo.findConversationByChat,
  }
}
