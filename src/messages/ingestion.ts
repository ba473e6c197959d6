import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import type { DB } from '../db/schema.js'
import type {
  ContactEvent,
  EditEvent,
  MessageEvent,
  ReactionEvent,
  ReceiptEvent,
  RevokeEvent,
} from '../engine/events.js'
import { appendEvent } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { type InstanceRef, messageEventData, statusEventData } from './event-payloads.js'
import { createMessageRuns, outboxEvent, type RunItem } from './ingestion-run.js'
import * as repo from './repository.js'
import type { MessageStatus } from './table.js'

export type Ingestion = ReturnType<typeof createIngestion>

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
  const { db, clock } = deps
  const nowIso = () => clock.now().toISOString()
  const runs = createMessageRuns(deps)
  const { phoneOf } = runs

  async function instanceRef(db: Kysely<DB>, instanceId: number): Promise<InstanceRef | null> {
    const row = await db
      .selectFrom('instances')
      .select(['id', 'uuid', 'tenant_id', 'phone_number'])
      .where('id', '=', instanceId)
      .executeTakeFirst()
    return row ? { id: row.id, uuid: row.uuid, tenantId: row.tenant_id, phone: row.phone_number } : null
  }

  async function emit(
    trx: Kysely<DB>,
    instance: InstanceRef,
    type: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await appendEvent(trx, clock, outboxEvent(instance, type, data))
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
      if (run.length > 0) appended = (await runs.store(trx, instance, run)) || appended
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
   * While the instance is busy (a batch was stored a moment ago) a batch waits a moment more, so
   * that events arriving one at a time, as from a socket under load, share a commit too (a group
   * commit); an instance that receives now and then waits for nothing.
   */
  const queues = new Map<number, { jobs: Job[]; running: boolean }>()
  const BATCH = 200
  const GATHER_MS = 2
  /** When (monotonic ms) each instance's last batch was stored. */
  const storedAt = new Map<number, number>()

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
        const busy = performance.now() - (storedAt.get(instanceId) ?? Number.NEGATIVE_INFINITY) < GATHER_MS
        if (busy && queue.jobs.length < BATCH) await sleep(GATHER_MS)
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
        storedAt.set(instanceId, performance.now())
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
