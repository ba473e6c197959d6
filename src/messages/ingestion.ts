import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Kysely } from 'kysely'
import type { ContactService, SeenInput } from '../contacts/service.js'
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
import { appendEvent, appendEvents, type NewEvent } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { type InstanceRef, messageEventData, statusEventData } from './event-payloads.js'
import * as ingestRepo from './ingestion-repository.js'
import * as repo from './repository.js'
import type { MessageStatus } from './table.js'

export type Ingestion = ReturnType<typeof createIngestion>

/** What is stored together with the messages around it. */
type RunItem = { kind: 'message'; event: MessageEvent } | { kind: 'contact'; event: ContactEvent }

const PREVIEW_LENGTH = 255

function preview(event: { text?: string | undefined; caption?: string | undefined; type: string }): string {
  return (event.text ?? event.caption ?? `[${event.type}]`).slice(0, PREVIEW_LENGTH)
}

/**
 * Turns what WhatsApp reports (through any engine, or the inbound worker endpoints) into stored
 * rows and outbox events, in the transaction of the events waiting with it; an event's promise
 * resolves once that transaction has committed. Idempotent on the WhatsApp message id: a
 * replayed event changes nothing.
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

  function outboxEvent(instance: InstanceRef, type: string, data: Record<string, unknown>): NewEvent {
    return { tenantId: instance.tenantId, instanceId: instance.id, instanceUuid: instance.uuid, type, data }
  }

  async function emit(
    trx: Kysely<DB>,
    instance: InstanceRef,
    type: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await appendEvent(trx, clock, outboxEvent(instance, type, data))
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
                lid: event.senderLid ?? null,
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
      const ids = await ingestRepo.insertMessages(
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

  const handlers = { receipt, reaction, edit, revoke }
  type Kind = RunItem['kind'] | keyof typeof handlers
  type EventOf<K extends Kind> = K extends keyof typeof handlers
    ? Parameters<(typeof handlers)[K]>[2]
    : Extract<RunItem, { kind: K }>['event']
  interface Job {
    kind: Kind
    event: unknown
    resolve: () => void
    reject: (error: unknown) => void
  }

  /**
   * Stores jobs in their order: messages and contact updates that follow each other together (a
   * message whose id repeats one of them, as a placeholder's real message does, after those are
   * stored), anything else one at a time. Answers whether events were appended.
   */
  async function apply(trx: Kysely<DB>, instance: InstanceRef, jobs: Job[]): Promise<boolean> {
    let appended = false
    let run: RunItem[] = []
    const ids = new Set<string>()
    const flush = async () => {
      if (run.length > 0) appended = (await messagesAndContacts(trx, instance, run)) || appended
      run = []
      ids.clear()
    }
    for (const job of jobs) {
      if (job.kind === 'contact') {
        run.push({ kind: 'contact', event: job.event as ContactEvent })
        continue
      }
      if (job.kind !== 'message') {
        await flush()
        const handler = handlers[job.kind] as (
          trx: Kysely<DB>,
          i: InstanceRef,
          e: unknown,
        ) => Promise<boolean>
        appended = (await handler(trx, instance, job.event)) || appended
        continue
      }
      const event = job.event as MessageEvent
      // Reactions come as their own events.
      if (event.type === 'reaction') continue
      if (ids.has(event.id)) await flush()
      ids.add(event.id)
      run.push({ kind: 'message', event })
    }
    await flush()
    return appended
  }

  /**
   * One instance's events are stored in the order they came: a receipt must not overtake its
   * message, nor a placeholder race its real message. Events waiting together are stored in one
   * transaction (a burst of messages costs one commit and a few statements, not a commit and a
   * dozen statements each); if that fails, each is retried alone, so that one bad event can't take
   * the others down with it. Each batch starts on a later turn of the event loop: what arrives in
   * the same turn joins it, and a long queue does not hold up everything else the process does.
   */
  const queues = new Map<number, { jobs: Job[]; running: boolean }>()
  const BATCH = 200

  async function store(instanceId: number, jobs: Job[]): Promise<boolean> {
    let appended = false
    await db.transaction().execute(async (trx) => {
      const instance = await instanceRef(trx, instanceId)
      if (instance) appended = await apply(trx, instance, jobs)
    })
    return appended
  }

  async function drain(instanceId: number, queue: { jobs: Job[]; running: boolean }): Promise<void> {
    queue.running = true
    try {
      while (queue.jobs.length > 0) {
        await nextTurn()
        const batch = queue.jobs.splice(0, BATCH)
        let appended = false
        try {
          appended = await store(instanceId, batch)
          for (const job of batch) job.resolve()
        } catch {
          for (const job of batch) {
            try {
              appended = (await store(instanceId, [job])) || appended
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
    return (instanceId: number, event: EventOf<K>): Promise<void> =>
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
