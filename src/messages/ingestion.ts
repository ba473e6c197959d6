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

  async function instanceRef(db: Kysely<DB>, instanceId: number): Promise<InstanceRef | null> {
    const row = await db
      .selectFrom('instances')
      .select(['id', 'uuid', 'tenant_id', 'phone_number'])
      .where('id', '=', instanceId)
      .executeTakeFirst()
    return row ? { id: row.id, uuid: row.uuid, tenantId: row.tenant_id, phone: row.phone_number } : null
  }

  async function phoneOf(
    db: Kysely<DB>,
    instanceId: number,
    jid: string | undefined,
  ): Promise<string | null> {
    if (!jid) return null
    const phone = phoneOfJid(jid)
    if (phone) return phone
    if (isLidJid(jid)) {
      const row = await db
        .selectFrom('lid_mappings')
        .select('phone')
        .where('instance_id', '=', instanceId)
        .where('lid', '=', `${jid.split('@')[0]!.split(':')[0]!}@lid`)
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

  /** Whether to write the instance's `last_activity_at` now: at most every few seconds. */
  const activityWritten = new Map<number, number>()
  function activityDue(instanceId: number): boolean {
    const now = clock.now().getTime()
    if (now - (activityWritten.get(instanceId) ?? 0) < 5000) return false
    activityWritten.set(instanceId, now)
    return true
  }

  async function message(trx: Kysely<DB>, instance: InstanceRef, event: MessageEvent): Promise<boolean> {
    if (event.type === 'reaction') return false
    const instanceId = instance.id
    const existing = await repo.findByWhatsappId(trx, instanceId, event.id)
    // Our own sends come back from WhatsApp; a decrypted message may replace its placeholder.
    if (existing && !(existing.is_placeholder && !event.placeholder)) return false

    const incoming = event.direction === 'in'
    const at = nowIso()
    const sentAt = new Date(event.timestamp).toISOString()
    const isGroup = event.isGroup || isGroupJid(event.chatJid)
    const senderNumber = incoming ? await phoneOf(trx, instanceId, event.senderJid) : instance.phone
    const chatPhone = isGroup ? null : await phoneOf(trx, instanceId, event.chatJid)
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
    const type = incoming ? 'message.received' : 'message.sent'

    if (existing) {
      await repo.updateMessage(trx, existing.id, { ...content, updated_at: at })
      await emit(trx, instance, type, messageEventData({ ...existing, ...content, updated_at: at }, instance))
      return true
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
    const row = {
      uuid: newUuid(),
      tenant_id: instance.tenantId,
      instance_id: instanceId,
      conversation_id: conversationId,
      whatsapp_message_id: event.id,
      direction: incoming ? ('incoming' as const) : ('outgoing' as const),
      chat_jid: event.chatJid,
      sender_jid: event.senderJid,
      sender_number: senderNumber,
      sender_name: incoming ? (event.pushName ?? null) : null,
      recipient_number: incoming ? instance.phone : chatPhone,
      ...content,
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
    const id = await repo.insertMessage(trx, row)
    await conversations.recordMessage(trx, conversationId, {
      id,
      preview: preview(event),
      at: sentAt,
      incoming,
    })
    if (activityDue(instanceId)) {
      await trx.updateTable('instances').set({ last_activity_at: at }).where('id', '=', instanceId).execute()
    }
    if (event.placeholder) return false
    await emit(trx, instance, type, messageEventData({ ...row, id }, instance))
    return true
  }

  /** Status changes named by WhatsApp receipts; `played` counts as `read` and sets `played_at`. */
  async function receipt(trx: Kysely<DB>, instance: InstanceRef, event: ReceiptEvent): Promise<boolean> {
    if (event.status === 'pending') return false
    const row = await repo.findByWhatsappId(trx, instance.id, event.messageId)
    if (row?.direction !== 'outgoing') return false
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
    const moved = await repo.advanceStatus(trx, row.id, to, patch)
    if (!moved && event.status === 'played' && !row.played_at) {
      await repo.updateMessage(trx, row.id, { played_at: at, updated_at: nowIso() })
    }
    if (!moved) return false
    const data = statusEventData({ ...row, ...patch, status: to }, instance, row.status, to, at)
    await emit(trx, instance, 'message.status', data)
    const specific = {
      delivered: 'message.delivered',
      read: 'message.read',
      failed: 'message.failed',
    } as const
    if (to in specific) await emit(trx, instance, specific[to as keyof typeof specific], data)
    return true
  }

  async function reaction(trx: Kysely<DB>, instance: InstanceRef, event: ReactionEvent): Promise<boolean> {
    const row = await repo.findByWhatsappId(trx, instance.id, event.messageId)
    if (!row) return false
    const at = new Date(event.at).toISOString()
    const reactor = event.fromMe
      ? instance.phone
        ? `${instance.phone}@s.whatsapp.net`
        : 'me'
      : event.reactorJid
    const reactorNumber = event.fromMe ? instance.phone : await phoneOf(trx, instance.id, event.reactorJid)
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
    return true
  }

  async function edit(trx: Kysely<DB>, instance: InstanceRef, event: EditEvent): Promise<boolean> {
    const row = await repo.findByWhatsappId(trx, instance.id, event.messageId)
    if (!row || row.body === event.text) return false
    const at = new Date(event.at).toISOString()
    const patch = { body: event.text, edited_at: at, updated_at: nowIso() }
    await repo.updateMessage(trx, row.id, patch)
    await emit(trx, instance, 'message.edited', {
      ...messageEventData({ ...row, ...patch }, instance),
      previous_content: row.body,
      edited_at: at,
    })
    return true
  }

  async function revoke(trx: Kysely<DB>, instance: InstanceRef, event: RevokeEvent): Promise<boolean> {
    const row = await repo.findByWhatsappId(trx, instance.id, event.messageId)
    if (!row || row.deleted_at) return false
    const at = new Date(event.at).toISOString()
    const patch = { deleted_at: at, updated_at: nowIso() }
    await repo.updateMessage(trx, row.id, patch)
    await emit(trx, instance, 'message.deleted', {
      ...messageEventData({ ...row, ...patch }, instance),
      deleted_at: at,
    })
    return true
  }

  async function contact(trx: Kysely<DB>, instance: InstanceRef, event: ContactEvent): Promise<boolean> {
    const phone = event.phone ?? (await phoneOf(trx, instance.id, event.jid))
    if (!phone) return false
    await contacts.seen(trx, {
      tenantId: instance.tenantId,
      instanceId: instance.id,
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
    return true
  }

  const handlers = { message, receipt, reaction, edit, revoke, contact }
  type Kind = keyof typeof handlers
  interface Job {
    kind: Kind
    event: unknown
    resolve: () => void
    reject: (error: unknown) => void
  }

  async function apply(trx: Kysely<DB>, instance: InstanceRef, job: Job): Promise<boolean> {
    return (handlers[job.kind] as (trx: Kysely<DB>, i: InstanceRef, e: unknown) => Promise<boolean>)(
      trx,
      instance,
      job.event,
    )
  }

  /**
   * One instance's events are stored in the order they came: a receipt must not overtake its
   * message, nor a placeholder race its real message. Events waiting together are stored in one
   * transaction (a burst of offline messages costs one commit, not hundreds); if that fails, each
   * is retried alone, so that one bad event can't take the others down with it.
   */
  const queues = new Map<number, { jobs: Job[]; running: boolean }>()
  const BATCH = 200

  async function drain(instanceId: number, queue: { jobs: Job[]; running: boolean }): Promise<void> {
    queue.running = true
    try {
      while (queue.jobs.length > 0) {
        const batch = queue.jobs.splice(0, BATCH)
        let appended = false
        try {
          await db.transaction().execute(async (trx) => {
            const instance = await instanceRef(trx, instanceId)
            if (!instance) return
            for (const job of batch) appended = (await apply(trx, instance, job)) || appended
          })
          for (const job of batch) job.resolve()
        } catch {
          appended = false
          for (const job of batch) {
            try {
              await db.transaction().execute(async (trx) => {
                const instance = await instanceRef(trx, instanceId)
                if (instance) appended = (await apply(trx, instance, job)) || appended
              })
              job.resolve()
            } catch (error) {
              job.reject(error)
            }
          }
        }
        if (appended) deps.onEventsAppended()
      }
    } finally {
      queue.running = false
      if (queue.jobs.length === 0) queues.delete(instanceId)
    }
  }

  function enqueue<K extends Kind>(kind: K) {
    return (instanceId: number, event: Parameters<(typeof handlers)[K]>[2]): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        let queue = queues.get(instanceId)
        if (!queue) {
          queue = { jobs: [], running: false }
          queues.set(instanceId, queue)
        }
        queue.jobs.push({ kind, event, resolve, reject })
        if (!queue.running) void drain(instanceId, queue)
      })
  }

  return {
    message: enqueue('message'),
    receipt: enqueue('receipt'),
    reaction: enqueue('reaction'),
    edit: enqueue('edit'),
    revoke: enqueue('revoke'),
    contact: enqueue('contact'),
  }
}
