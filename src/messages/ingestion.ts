import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import { toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type {
  ContactEvent,
  EditEvent,
  MessageEvent,
  ReactionEvent,
  ReceiptEvent,
  RevokeEvent,
} from '../engine/events.js'
import { isGroupJid, isLidJid, phoneOfJid } from '../engine/jid.js'
import { appendEvent } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { type InstanceRef, messageEventData, statusEventData } from './event-payloads.js'
import * as repo from './repository.js'
import type { MessageStatus } from './table.js'

export type Ingestion = ReturnType<typeof createIngestion>

const PREVIEW_LENGTH = 255

function preview(event: { text?: string | undefined; caption?: string | undefined; type: string }): string {
  return (event.text ?? event.caption ?? `[${event.type}]`).slice(0, PREVIEW_LENGTH)
}

/**
 * Turns what WhatsApp reports (through any engine, or the inbound worker endpoints) into stored
 * rows and outbox events, in one transaction per event. Idempotent on the WhatsApp message id:
 * a replayed event changes nothing.
 */
export function createIngestion(deps: {
  db: Kysely<DB>
  clock: Clock
  contacts: ContactService
  conversations: ConversationService
  onEventsAppended: () => void
}) {
  const { db, clock, contacts, conversations } = deps
  const nowIso = () => clock.now().toISOString()

  async function instanceRef(instanceId: number): Promise<InstanceRef | null> {
    const row = await db
      .selectFrom('instances')
      .select(['id', 'uuid', 'tenant_id', 'phone_number'])
      .where('id', '=', instanceId)
      .executeTakeFirst()
    return row ? { id: row.id, uuid: row.uuid, tenantId: row.tenant_id, phone: row.phone_number } : null
  }

  async function phoneOf(instanceId: number, jid: string | undefined): Promise<string | null> {
    if (!jid) return null
    const phone = phoneOfJid(jid)
    if (phone) return phone
    if (isLidJid(jid)) {
      const row = await db
        .selectFrom('lid_mappings')
        .select('phone')
        .where('instance_id', '=', instanceId)
        .where('lid', '=', jid.split('@')[0]!.split(':')[0]! + '@lid')
        .executeTakeFirst()
      return row?.phone ?? null
    }
    return null
  }

  async function emit(
    trx: Kysely<DB>,
    instance: InstanceRef,
    type: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await appendEvent(trx, clock, {
      tenantId: instance.tenantId,
      instanceId: instance.id,
      instanceUuid: instance.uuid,
      type,
      data,
    })
  }

  async function message(instanceId: number, event: MessageEvent): Promise<void> {
    const instance = await instanceRef(instanceId)
    if (!instance || event.type === 'reaction') return
    const existing = await repo.findByWhatsappId(db, instanceId, event.id)
    // Our own sends come back from WhatsApp; a decrypted message may replace its placeholder.
    if (existing && !(existing.is_placeholder && !event.placeholder)) return

    const incoming = event.direction === 'in'
    const at = nowIso()
    const sentAt = new Date(event.timestamp).toISOString()
    const isGroup = event.isGroup || isGroupJid(event.chatJid)
    const senderNumber = incoming ? await phoneOf(instanceId, event.senderJid) : instance.phone
    const chatPhone = isGroup ? null : await phoneOf(instanceId, event.chatJid)
    const content = {
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

    await db.transaction().execute(async (trx) => {
      if (existing) {
        await repo.updateMessage(trx, existing.id, { ...content, updated_at: at })
        const updated = (await repo.findMessageById(trx, existing.id))!
        await emit(
          trx,
          instance,
          incoming ? 'message.received' : 'message.sent',
          messageEventData(updated, instance),
        )
        return
      }
      const contactPhone = isGroup ? senderNumber : chatPhone
      const contactId =
        contactPhone && (incoming || !isGroup)
          ? await contacts.seen(trx, {
              tenantId: instance.tenantId,
              instanceId,
              phone: contactPhone,
              jid: isGroup ? event.senderJid : event.chatJid,
              lid: event.senderLid ?? null,
              pushName: incoming ? (event.pushName ?? null) : null,
              at,
            })
          : null
      const conversationId = await conversations.ensure(trx, {
        tenantId: instance.tenantId,
        instanceId,
        chatJid: event.chatJid,
        isGroup,
        contactId: isGroup ? null : contactId,
        at,
      })
      const id = await repo.insertMessage(trx, {
        uuid: newUuid(),
        tenant_id: instance.tenantId,
        instance_id: instanceId,
        conversation_id: conversationId,
        whatsapp_message_id: event.id,
        direction: incoming ? 'incoming' : 'outgoing',
        chat_jid: event.chatJid,
        sender_jid: event.senderJid,
        sender_number: senderNumber,
        sender_name: incoming ? (event.pushName ?? null) : null,
        recipient_number: incoming ? instance.phone : chatPhone,
        ...content,
        media_id: null,
        media_url: null,
        media_path: null,
        status: incoming ? 'read' : 'sent',
        error_code: null,
        error_message: null,
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
      })
      await conversations.recordMessage(trx, conversationId, {
        id,
        preview: preview(event),
        at: sentAt,
        incoming,
      })
      await trx.updateTable('instances').set({ last_activity_at: at }).where('id', '=', instanceId).execute()
      if (!event.placeholder) {
        const stored = (await repo.findMessageById(trx, id))!
        await emit(
          trx,
          instance,
          incoming ? 'message.received' : 'message.sent',
          messageEventData(stored, instance),
        )
      }
    })
    deps.onEventsAppended()
  }

  /** Status changes named by WhatsApp receipts; `played` counts as `read` and sets `played_at`. */
  async function receipt(instanceId: number, event: ReceiptEvent): Promise<void> {
    if (event.status === 'pending') return
    const instance = await instanceRef(instanceId)
    const row = instance && (await repo.findByWhatsappId(db, instanceId, event.messageId))
    if (!instance || !row || row.direction !== 'outgoing') return
    const at = new Date(event.at).toISOString()
    const to: MessageStatus =
      event.status === 'error'
        ? 'failed'
        : event.status === 'played'
          ? 'read'
          : (event.status as MessageStatus)
    const patch = {
      updated_at: nowIso(),
      ...(to === 'sent' ? { sent_at: row.sent_at ?? at } : {}),
      ...(to === 'delivered' ? { delivered_at: at } : {}),
      ...(to === 'read' ? { read_at: row.read_at ?? at, delivered_at: row.delivered_at ?? at } : {}),
      ...(event.status === 'played' ? { played_at: at } : {}),
      ...(to === 'failed'
        ? {
            failed_at: at,
            error_code: event.error ?? 'WHATSAPP_ERROR',
            error_message: 'WhatsApp reported an error for this message',
          }
        : {}),
    }
    let moved = false
    await db.transaction().execute(async (trx) => {
      moved = await repo.advanceStatus(trx, row.id, to, patch)
      if (!moved && event.status === 'played' && !row.played_at) {
        await repo.updateMessage(trx, row.id, { played_at: at, updated_at: nowIso() })
      }
      if (!moved) return
      const updated = (await repo.findMessageById(trx, row.id))!
      const data = statusEventData(updated, instance, row.status, to, at)
      await emit(trx, instance, 'message.status', data)
      const specific = {
        delivered: 'message.delivered',
        read: 'message.read',
        failed: 'message.failed',
      } as const
      if (to in specific) await emit(trx, instance, specific[to as keyof typeof specific], data)
    })
    if (moved) deps.onEventsAppended()
  }

  async function reaction(instanceId: number, event: ReactionEvent): Promise<void> {
    const instance = await instanceRef(instanceId)
    const row = instance && (await repo.findByWhatsappId(db, instanceId, event.messageId))
    if (!instance || !row) return
    const at = new Date(event.at).toISOString()
    const reactor = event.fromMe
      ? instance.phone
        ? `${instance.phone}@s.whatsapp.net`
        : 'me'
      : event.reactorJid
    const reactorNumber = event.fromMe ? instance.phone : await phoneOf(instanceId, event.reactorJid)
    await db.transaction().execute(async (trx) => {
      if (event.emoji) {
        await repo.upsertReaction(trx, {
          message_id: row.id,
          reactor_jid: reactor,
          reactor_number: reactorNumber,
          emoji: event.emoji,
          from_me: event.fromMe,
          reacted_at: at,
        })
      } else {
        await repo.deleteReaction(trx, row.id, reactor)
      }
      await emit(trx, instance, 'message.reaction', {
        ...messageEventData(row, instance),
        emoji: event.emoji,
        removed: !event.emoji,
        reactor_number: reactorNumber,
        from_me: event.fromMe,
        timestamp: at,
      })
    })
    deps.onEventsAppended()
  }

  async function edit(instanceId: number, event: EditEvent): Promise<void> {
    const instance = await instanceRef(instanceId)
    const row = instance && (await repo.findByWhatsappId(db, instanceId, event.messageId))
    if (!instance || !row || row.body === event.text) return
    const at = new Date(event.at).toISOString()
    await db.transaction().execute(async (trx) => {
      await repo.updateMessage(trx, row.id, { body: event.text, edited_at: at, updated_at: nowIso() })
      const updated = (await repo.findMessageById(trx, row.id))!
      await emit(trx, instance, 'message.edited', {
        ...messageEventData(updated, instance),
        previous_content: row.body,
        edited_at: at,
      })
    })
    deps.onEventsAppended()
  }

  async function revoke(instanceId: number, event: RevokeEvent): Promise<void> {
    const instance = await instanceRef(instanceId)
    const row = instance && (await repo.findByWhatsappId(db, instanceId, event.messageId))
    if (!instance || !row || row.deleted_at) return
    const at = new Date(event.at).toISOString()
    await db.transaction().execute(async (trx) => {
      await repo.updateMessage(trx, row.id, { deleted_at: at, updated_at: nowIso() })
      const updated = (await repo.findMessageById(trx, row.id))!
      await emit(trx, instance, 'message.deleted', { ...messageEventData(updated, instance), deleted_at: at })
    })
    deps.onEventsAppended()
  }

  async function contact(instanceId: number, event: ContactEvent): Promise<void> {
    const instance = await instanceRef(instanceId)
    const phone = event.phone ?? (await phoneOf(instanceId, event.jid))
    if (!instance || !phone) return
    await db.transaction().execute(async (trx) => {
      await contacts.seen(trx, {
        tenantId: instance.tenantId,
        instanceId,
        phone,
        jid: event.jid,
        lid: event.lid ?? null,
        pushName: event.pushName ?? event.verifiedName ?? null,
        at: nowIso(),
      })
      await emit(trx, instance, 'contact.update', {
        phone_number: phone,
        jid: event.jid,
        name: event.name ?? null,
        push_name: event.pushName ?? null,
        instance: { uuid: instance.uuid, phone_number: instance.phone },
      })
    })
    deps.onEventsAppended()
  }

  // One instance's events are stored in the order they came, one at a time: a receipt must not
  // overtake the message it is about, and a placeholder and its real message must not race.
  const queues = new Map<number, Promise<void>>()
  function serial<T>(handler: (instanceId: number, event: T) => Promise<void>) {
    return (instanceId: number, event: T): Promise<void> => {
      const previous = queues.get(instanceId) ?? Promise.resolve()
      const next = previous.then(() => handler(instanceId, event))
      const settled = next.catch(() => {})
      queues.set(instanceId, settled)
      void settled.then(() => {
        if (queues.get(instanceId) === settled) queues.delete(instanceId)
      })
      return next
    }
  }

  return {
    message: serial(message),
    receipt: serial(receipt),
    reaction: serial(reaction),
    edit: serial(edit),
    revoke: serial(revoke),
    contact: serial(contact),
  }
}
