import type { Kysely } from 'kysely'
import type { ContactService, SeenInput } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import { toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { ContactEvent, MessageEvent } from '../engine/events.js'
import { isGroupJid, isLidJid, phoneOfJid } from '../engine/jid.js'
import { appendEvents, type NewEvent } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { type InstanceRef, messageEventData } from './event-payloads.js'
import * as ingestRepo from './ingestion-repository.js'
import * as repo from './repository.js'

/** What is stored together with the messages around it. */
export type RunItem = { kind: 'message'; event: MessageEvent } | { kind: 'contact'; event: ContactEvent }

const PREVIEW_LENGTH = 255

function preview(event: { text?: string | undefined; caption?: string | undefined; type: string }): string {
  return (event.text ?? event.caption ?? `[${event.type}]`).slice(0, PREVIEW_LENGTH)
}

/** An outbox event of the instance. */
export function outboxEvent(instance: InstanceRef, type: string, data: Record<string, unknown>): NewEvent {
  return { tenantId: instance.tenantId, instanceId: instance.id, instanceUuid: instance.uuid, type, data }
}

/**
 * The heart of the ingestion (see ingestion.ts): messages and contact updates that came one after
 * another, stored together, and the phone numbers behind the JIDs they name.
 */
export function createMessageRuns(deps: {
  clock: Clock
  contacts: Pick<ContactService, 'seenMany'>
  conversations: Pick<ConversationService, 'ensureMany' | 'recordMessages'>
}) {
  const { clock, contacts, conversations } = deps
  const nowIso = () => clock.now().toISOString()

  /** The LID a JID names (`…@lid`, without device). */
  const lidOf = (jid: string) => `${jid.split('@')[0]!.split(':')[0]!}@lid`

  /**
   * Phone numbers of JIDs: read off phone JIDs, and for LIDs looked up in what the instance has
   * learnt (one query for all). Answers a lookup that is null for a JID without a known number.
   */
  async function phonesOf(
    db: Kysely<DB>,
    instanceId: number,
    jids: (string | undefined)[],
  ): Promise<(jid: string | undefined) => string | null> {
    const lids = jids.filter((jid): jid is string => !!jid && !phoneOfJid(jid) && isLidJid(jid)).map(lidOf)
    const known = lids.length > 0 ? await ingestRepo.phonesOfLids(db, instanceId, lids) : new Map()
    return (jid) => {
      if (!jid) return null
      return phoneOfJid(jid) ?? (isLidJid(jid) ? (known.get(lidOf(jid)) ?? null) : null)
    }
  }

  async function phoneOf(
    db: Kysely<DB>,
    instanceId: number,
    jid: string | undefined,
  ): Promise<string | null> {
    return (await phonesOf(db, instanceId, [jid]))(jid)
  }

  /** Whether to write the instance's `last_activity_at` now: at most every few seconds. */
  const activityWritten = new Map<number, number>()
  function activityDue(instanceId: number): boolean {
    const now = clock.now().getTime()
    if (now - (activityWritten.get(instanceId) ?? 0) < 5000) return false
    activityWritten.set(instanceId, now)
    return true
  }

  function contentOf(event: MessageEvent) {
    return {
      type: event.type,
      body: event.text ?? null,
      caption: event.caption ?? null,
      media_mime: event.media?.mimetype ?? null,
      media_file_name: event.media?.fileName ?? null,
      media_size: event.media?.size ?? null,
      quoted_message_id: event.quotedId ?? null,
      mentions: event.mentions?.length ? toJson(event.mentions) : null,
      is_placeholder: event.placeholder === true,
    }
  }

  /**
   * Messages and contact updates of one instance in the order they came, each message id at most
   * once: stored with their contacts, conversations and events in a few statements for all of
   * them (a statement per message would cost more than the rows). Answers whether events were
   * appended.
   */
  async function messagesAndContacts(
    trx: Kysely<DB>,
    instance: InstanceRef,
    items: RunItem[],
  ): Promise<boolean> {
    const instanceId = instance.id
    const tenantId = instance.tenantId
    const at = nowIso()
    const messageIds = items.flatMap((item) => (item.kind === 'message' ? [item.event.id] : []))
    const existing =
      messageIds.length > 0 ? await ingestRepo.findByWhatsappIds(trx, instanceId, messageIds) : new Map()
    // The outbox events, at the place of the item that caused each.
    const outbox: (NewEvent | undefined)[] = []
    const fresh: { event: MessageEvent; index: number }[] = []
    for (const [index, item] of items.entries()) {
      if (item.kind !== 'message') continue
      const { event } = item
      const found = existing.get(event.id)
      if (!found) {
        fresh.push({ event, index })
        continue
      }
      // Our own sends come back from WhatsApp; a decrypted message may replace its placeholder.
      if (!(found.is_placeholder && !event.placeholder)) continue
      const content = contentOf(event)
      await repo.updateMessage(trx, found.id, { ...content, updated_at: at })
      const data = messageEventData({ ...found, ...content, updated_at: at }, instance)
      outbox[index] = outboxEvent(
        instance,
        event.direction === 'in' ? 'message.received' : 'message.sent',
        data,
      )
    }

    const phone = await phonesOf(trx, instanceId, [
      ...fresh.flatMap(({ event }) => [event.senderJid, event.chatJid]),
      ...items.flatMap((item) => (item.kind === 'contact' && !item.event.phone ? [item.event.jid] : [])),
    ])
    const plans = new Map(
      fresh.map(({ event, index }) => {
        const incoming = event.direction === 'in'
        const isGroup = event.isGroup || isGroupJid(event.chatJid)
        const senderNumber = incoming ? phone(event.senderJid) : instance.phone
        const chatPhone = isGroup ? null : phone(event.chatJid)
        const contactPhone = isGroup ? senderNumber : chatPhone
        const contact =
          contactPhone && (incoming || !isGroup)
            ? {
                tenantId,
                instanceId,
                phone: contactPhone,
                jid: isGroup ? event.senderJid : event.chatJid,
                // Our own message's sender LID is ours, not the contact's.
                lid: incoming
                  ? (event.senderLid ?? null)
                  : isLidJid(event.chatJid)
                    ? lidOf(event.chatJid)
                    : null,
                pushName: incoming ? (event.pushName ?? null) : null,
                at,
              }
            : null
        return [index, { event, incoming, isGroup, senderNumber, chatPhone, contact }]
      }),
    )
    // What the items tell of contacts, in their order: a later sighting refreshes an earlier one.
    const seen: SeenInput[] = []
    for (const [index, item] of items.entries()) {
      if (item.kind === 'message') {
        const contact = plans.get(index)?.contact
        if (contact) seen.push(contact)
        continue
      }
      const { event } = item
      const number = event.phone ?? phone(event.jid)
      if (!number) continue
      seen.push({
        tenantId,
        instanceId,
        phone: number,
        jid: event.jid,
        lid: event.lid ?? null,
        pushName: event.pushName ?? event.verifiedName ?? null,
        at,
      })
      outbox[index] = outboxEvent(instance, 'contact.update', {
        phone_number: number,
        jid: event.jid,
        name: event.name ?? null,
        push_name: event.pushName ?? null,
        instance: { uuid: instance.uuid, phone_number: instance.phone },
      })
    }
    const contactIds = await contacts.seenMany(trx, seen)

    if (plans.size > 0) {
      const conversationIds = await conversations.ensureMany(
        trx,
        [...plans.values()].map((plan) => ({
          tenantId,
          instanceId,
          chatJid: plan.event.chatJid,
          isGroup: plan.isGroup,
          contactId: plan.isGroup || !plan.contact ? null : contactIds.get(plan.contact.phone)!,
          at,
        })),
      )
      const stored = [...plans].map(([index, plan]) => {
        const { event, incoming, senderNumber, chatPhone } = plan
        const sentAt = new Date(event.timestamp).toISOString()
        const row = {
          uuid: newUuid(),
          tenant_id: tenantId,
          instance_id: instanceId,
          conversation_id: conversationIds.get(event.chatJid)!,
          whatsapp_message_id: event.id,
          direction: incoming ? ('incoming' as const) : ('outgoing' as const),
          chat_jid: event.chatJid,
          sender_jid: event.senderJid,
          sender_number: senderNumber,
          sender_name: incoming ? (event.pushName ?? null) : null,
          recipient_number: incoming ? instance.phone : chatPhone,
          ...contentOf(event),
          media_id: null,
          media_url: null,
          media_path: null,
          status: incoming ? ('read' as const) : ('sent' as const),
          error_code: null,
          error_message: null,
          attempts: 0,
          next_attempt_at: null,
          expires_at: null,
          scheduled_at: null,
          sent_at: sentAt,
          delivered_at: null,
          read_at: null,
          played_at: null,
          failed_at: null,
          edited_at: null,
          deleted_at: null,
          source: incoming ? 'whatsapp' : 'phone',
          created_by: null,
          created_at: sentAt,
          updated_at: at,
        }
        return { index, plan, row }
      })
      const ids = await repo.insertMessages(
        trx,
        stored.map((s) => s.row),
      )
      await conversations.recordMessages(
        trx,
        stored.map(({ plan, row }) => ({
          conversationId: row.conversation_id,
          id: ids.get(row.whatsapp_message_id)!,
          preview: preview(plan.event),
          at: row.sent_at,
          incoming: plan.incoming,
        })),
      )
      for (const { index, plan, row } of stored) {
        // A placeholder is announced once its real message replaces it.
        if (plan.event.placeholder) continue
        const data = messageEventData({ ...row, id: ids.get(row.whatsapp_message_id)! }, instance)
        outbox[index] = outboxEvent(instance, plan.incoming ? 'message.received' : 'message.sent', data)
      }
      if (activityDue(instanceId)) {
        await trx
          .updateTable('instances')
          .set({ last_activity_at: at })
          .where('id', '=', instanceId)
          .execute()
      }
    }
    const appended = outbox.filter((event): event is NewEvent => event !== undefined)
    if (appended.length > 0) await appendEvents(trx, clock, appended)
    return appended.length > 0
  }

  return { store: messagesAndContacts, phoneOf }
}
