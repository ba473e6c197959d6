import type { Kysely } from 'kysely'
import { searchTerm } from '../contacts/search.js'
import type { DB } from '../db/schema.js'
import { isGroupJid, phoneJid } from '../engine/jid.js'
import type { MessageRef } from '../engine/types.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound } from '../http/errors.js'
import { engineFailure, type InstanceService } from '../instances/service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import type { TagService } from '../tags/service.js'
import { presentConversation } from './present.js'
import { type ConversationRow, findConversation, listConversations } from './queries.js'
import * as repo from './repository.js'

export type ConversationService = ReturnType<typeof createConversationService>

export interface ConversationQuery {
  instance_id?: string | undefined
  unread?: boolean | undefined
  search?: string | undefined
  is_group?: boolean | undefined
  tag_id?: string | undefined
  tag_ids?: string[] | undefined
  'tag_ids[]'?: string[] | undefined
  untagged?: boolean | undefined
  include_tags?: boolean | undefined
}

/** The conversation of a chat, wanted for a message. */
export interface EnsureInput {
  tenantId: number
  instanceId: number
  chatJid: string
  isGroup: boolean
  contactId: number | null
  name?: string | null
  at: string
}

/** Read receipts sent at most per mark-read: the newest unread messages are the ones that matter. */
const MAX_RECEIPTS = 500

/** Conversations: one per (instance, chat); the inbox endpoints and what other modules need. */
export function createConversationService(deps: {
  db: Kysely<DB>
  clock: Clock
  instances: Pick<InstanceService, 'find' | 'engineOf'>
  tags: Pick<TagService, 'idsFor' | 'resolve' | 'tagsOf' | 'replace'>
}) {
  const { db, clock, instances, tags } = deps
  const nowIso = () => clock.now().toISOString()

  /** A conversation the caller may see (its instance's, for an sk_ token); 404 otherwise. */
  async function find(auth: AuthContext, ref: string): Promise<ConversationRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await findConversation(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id)) {
      throw notFound('Conversation')
    }
    return row
  }

  async function withTags(rows: ConversationRow[]) {
    const byConversation = await tags.tagsOf(rows.map((r) => r.id))
    return rows.map((row) => presentConversation(row, byConversation.get(row.id) ?? []))
  }

  /**
   * Inside the caller's transaction: the conversations of chats of one instance, created when
   * new (each with the first contact given for its chat); answers their ids by chat.
   */
  async function ensureMany(trx: Kysely<DB>, inputs: EnsureInput[]): Promise<Map<string, number>> {
    const rows = new Map<string, repo.NewConversation>()
    for (const input of inputs) {
      const earlier = rows.get(input.chatJid)
      if (earlier && (earlier.contact_id !== null || input.contactId === null)) continue
      rows.set(input.chatJid, {
        uuid: earlier?.uuid ?? newUuid(),
        tenant_id: input.tenantId,
        chat_jid: input.chatJid,
        is_group: input.isGroup,
        contact_id: input.contactId,
        name: earlier ? earlier.name : (input.name ?? null),
        at: earlier?.at ?? input.at,
      })
    }
    const instanceId = inputs[0]?.instanceId
    if (instanceId === undefined) return new Map()
    const { ids, stale } = await repo.ensureConversations(trx, instanceId, [...rows.values()])
    if (stale.length > 0) await repo.refreshSearch(trx, { instanceId, chatJids: stale })
    return ids
  }

  /** `tag_id`, `tag_ids` as a comma list, repeated, or `tag_ids[]`: one list of references. */
  function tagRefs(query: ConversationQuery): string[] | null {
    const all = [query.tag_id, ...(query.tag_ids ?? []), ...(query['tag_ids[]'] ?? [])]
      .flatMap((value) => (value ?? '').split(','))
      .map((value) => value.trim())
      .filter(Boolean)
    return all.length ? all : null
  }

  return {
    find,

    ensureMany,

    recordMessages: repo.recordMessages,

    /** A contact's names changed: its conversations are found by the new ones. */
    contactChanged: (trx: Kysely<DB>, contactId: number) =>
      repo.refreshSearch(trx, { contactIds: [contactId] }),

    /** Contacts' names changed: their conversations are found by the new ones. */
    contactsChanged: (trx: Kysely<DB>, contactIds: number[]) => repo.refreshSearch(trx, { contactIds }),

    /** New contacts take over the conversations of their numbers that had none. */
    async contactsCreated(
      trx: Kysely<DB>,
      instanceId: number,
      contacts: { phone: string; contactId: number }[],
    ) {
      const chatJids = await repo.linkContacts(
        trx,
        instanceId,
        contacts.map((c) => ({ chatJid: phoneJid(c.phone), contactId: c.contactId })),
      )
      await repo.refreshSearch(trx, { instanceId, chatJids })
    },

    /** A contact was deleted: its conversation stays, found by its number only. */
    contactRemoved: (trx: Kysely<DB>, contact: { instanceId: number; phone: string }) =>
      repo.refreshSearch(trx, { instanceId: contact.instanceId, chatJids: [phoneJid(contact.phone)] }),

    /** Newest activity first; archived ones only in the archive. */
    async list(
      auth: AuthContext,
      query: ConversationQuery,
      page: { limit: number; offset: number },
      options: { archived: boolean; tags: boolean },
    ) {
      const instanceId = query.instance_id
        ? (await instances.find(auth, query.instance_id)).id
        : auth.instanceId
      const refs = tagRefs(query)
      const { rows, total } = await listConversations(
        db,
        auth.tenantId,
        {
          instanceId,
          archived: options.archived,
          unread: query.unread,
          isGroup: query.is_group,
          search: searchTerm(query.search),
          tagIds: refs ? await tags.idsFor(auth, refs) : null,
          untagged: query.untagged,
        },
        page,
      )
      const items =
        options.tags || query.include_tags ? await withTags(rows) : rows.map((r) => presentConversation(r))
      return { items, total }
    },

    async get(auth: AuthContext, ref: string) {
      const [view] = await withTags([await find(auth, ref)])
      return view!
    },

    async archive(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      const at = row.archived_at ?? nowIso()
      if (!row.is_archived) {
        await repo.updateConversation(db, auth.tenantId, row.id, { is_archived: true, archived_at: at })
      }
      return { archived_id: row.uuid, conversation_id: row.uuid, is_archived: true, archived_at: at }
    },

    /** Every spelling of unarchive; `restored` says whether it was archived. */
    async unarchive(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      if (row.is_archived) {
        await repo.updateConversation(db, auth.tenantId, row.id, { is_archived: false, archived_at: null })
      }
      return { conversation_id: row.uuid, restored: Boolean(row.is_archived), is_archived: false }
    },

    /** Deletes the conversation with all its messages. */
    async remove(auth: AuthContext, ref: string): Promise<void> {
      const row = await find(auth, ref)
      await db.transaction().execute((trx) => repo.deleteConversation(trx, auth.tenantId, row.id))
    },

    /**
     * Resets the unread count and sends read receipts to WhatsApp for the unread incoming messages.
     * An instance that is not connected can't send them: the conversation is still marked read here.
     */
    async markRead(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      const unread =
        row.unread_count > 0
          ? await repo.unreadIncoming(db, row.id, Math.min(row.unread_count, MAX_RECEIPTS))
          : []
      const keys: MessageRef[] = unread
        .filter((m) => m.whatsapp_message_id)
        .map((m) => ({
          chatJid: m.chat_jid,
          messageId: m.whatsapp_message_id!,
          fromMe: false,
          ...(isGroupJid(m.chat_jid) && m.sender_jid ? { participant: m.sender_jid } : {}),
        }))
      let sent = 0
      if (keys.length > 0) {
        const instance = await instances.find(auth, { id: row.instance_id })
        try {
          await (await instances.engineOf(auth, instance)).markRead(keys)
          sent = keys.length
        } catch (error) {
          const failure = engineFailure(error)
          if (failure.code !== 'INSTANCE_NOT_CONNECTED') throw failure
        }
      }
      const at = nowIso()
      await db.transaction().execute(async (trx) => {
        await repo.markMessagesRead(
          trx,
          unread.map((m) => m.id),
          at,
        )
        await repo.updateConversation(trx, auth.tenantId, row.id, { unread_count: 0 })
      })
      return { conversation_id: row.uuid, unread_count: 0, read_receipts_sent: sent }
    },

    /** The conversation's tags become exactly these (uuids or ids of the tenant's tags). */
    async setTags(auth: AuthContext, ref: string, refs: string[]) {
      const row = await find(auth, ref)
      const chosen = await tags.resolve(auth, refs)
      await db.transaction().execute((trx) =>
        tags.replace(
          trx,
          row.id,
          chosen.map((t) => t.id),
        ),
      )
      return (await tags.tagsOf([row.id])).get(row.id) ?? []
    },
  }
}
