import type { Insertable, Kysely } from 'kysely'
import type { ContactService, SeenInput } from '../contacts/service.js'
import type { ConversationService, EnsureInput } from '../conversations/service.js'
import type { DB } from '../db/schema.js'
import { AppError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import type { MessageRow } from './repository.js'
import * as repo from './repository.js'
import type { MessagesTable } from './table.js'

/** A send to store as `pending`: its row, but for the conversation, which the writer finds. */
export interface QueuedSend {
  instance: { id: number; daily_limit: number }
  chat: { jid: string; phone: string | null }
  row: Omit<Insertable<MessagesTable>, 'conversation_id' | 'created_at' | 'updated_at'> & {
    tenant_id: number
    whatsapp_message_id: string
  }
  preview: string
  /** Ties a file to the message, in the transaction that stores it. */
  claim?: ((trx: Kysely<DB>, messageId: number) => Promise<void>) | undefined
}

export interface StoredSend {
  row: MessageRow
  /** The day's quota left after this message. */
  remainingQuota: number
  /** Queued messages of the instance ahead of this one (an estimate, see `queuedAhead`). */
  ahead: number
}

interface Waiting {
  send: QueuedSend
  resolve(stored: StoredSend): void
  reject(error: unknown): void
}

type Outcome = { row: MessageRow; usage: number } | { error: AppError }

/** Sends stored in one transaction at most; more wait for the next. */
const MAX_BATCH = 500
/** How old a count of an instance's queue may be before it is counted again. */
const QUEUE_COUNT_MS = 1000

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const group = groups.get(key(item))
    if (group) group.push(item)
    else groups.set(key(item), [item])
  }
  return groups
}

/**
 * Stores queued sends in group commits: the sends that arrive while one transaction is written
 * go together into the next, with their quota, contacts, conversations and messages in a few
 * statements for all of them. Each caller is answered once its message is committed, so an
 * answered send is never lost; a commit per send would cost more than the rows themselves.
 */
export function createQueueWriter(deps: {
  db: Kysely<DB>
  clock: Clock
  contacts: Pick<ContactService, 'seenMany'>
  conversations: Pick<ConversationService, 'ensureMany' | 'recordMessages'>
  /** Called after a commit with the instances that have new messages queued. */
  onQueued: (instanceId: number) => void
}) {
  const { db, clock, contacts, conversations } = deps
  let waiting: Waiting[] = []
  let writing = false
  let scheduled = false

  function quotaExceeded(limit: number): AppError {
    return new AppError(
      'QUOTA_EXCEEDED',
      `The daily limit of ${limit} messages of this instance is reached.`,
      {
        daily_limit: limit,
        remaining_quota: 0,
      },
    )
  }

  /** Every queued send counts, also one that fails later: attempts are what WhatsApp sees. */
  async function takeQuota(trx: Kysely<DB>, sends: QueuedSend[], day: string, at: string) {
    const { id, daily_limit: limit } = sends[0]!.instance
    const usage = new Map<QueuedSend, number | null>()
    const after = await repo.takeQuota(trx, id, day, limit, at, sends.length)
    if (after !== null) {
      for (const [i, send] of sends.entries()) usage.set(send, after - sends.length + i + 1)
      return usage
    }
    // Fewer left than asked: the first ones in line get what remains.
    for (const send of sends) usage.set(send, await repo.takeQuota(trx, id, day, limit, at))
    return usage
  }

  /** The sends of one batch, stored together; answers each one's row or why it was refused. */
  async function store(trx: Kysely<DB>, sends: QueuedSend[]): Promise<Map<QueuedSend, Outcome>> {
    const at = clock.now().toISOString()
    const day = at.slice(0, 10)
    const outcomes = new Map<QueuedSend, Outcome>()
    const byInstance = groupBy(sends, (send) => send.instance.id)
    const granted: { send: QueuedSend; usage: number; conversationId: number }[] = []
    for (const [instanceId, ofInstance] of byInstance) {
      const usage = await takeQuota(trx, ofInstance, day, at)
      const allowed = ofInstance.filter((send) => {
        if (usage.get(send) !== null) return true
        outcomes.set(send, { error: quotaExceeded(send.instance.daily_limit) })
        return false
      })
      if (allowed.length === 0) continue
      const seen: SeenInput[] = allowed.flatMap(({ row, chat }) =>
        chat.phone
          ? [
              {
                tenantId: row.tenant_id,
                instanceId,
                phone: chat.phone,
                jid: chat.jid,
                lid: null,
                pushName: null,
                at,
              },
            ]
          : [],
      )
      const contactIds = await contacts.seenMany(trx, seen)
      const wanted: EnsureInput[] = allowed.map(({ row, chat }) => ({
        tenantId: row.tenant_id,
        instanceId,
        chatJid: chat.jid,
        isGroup: chat.phone === null,
        contactId: chat.phone ? contactIds.get(chat.phone)! : null,
        at,
      }))
      const conversationIds = await conversations.ensureMany(trx, wanted)
      for (const send of allowed) {
        granted.push({ send, usage: usage.get(send)!, conversationId: conversationIds.get(send.chat.jid)! })
      }
    }
    if (granted.length === 0) return outcomes
    const rows = await repo.insertMessagesReturning(
      trx,
      granted.map(({ send, conversationId }) => ({
        ...send.row,
        conversation_id: conversationId,
        created_at: at,
        updated_at: at,
      })),
    )
    const stored = granted.map(({ send, usage, conversationId }) => ({
      send,
      usage,
      conversationId,
      row: rows.get(send.row.whatsapp_message_id)!,
    }))
    await conversations.recordMessages(
      trx,
      stored.map(({ send, conversationId, row }) => ({
        conversationId,
        id: row.id,
        preview: send.preview,
        at,
        incoming: false,
      })),
    )
    for (const { send, usage, row } of stored) {
      await send.claim?.(trx, row.id)
      outcomes.set(send, { row, usage })
    }
    return outcomes
  }

  /** The last count of each instance's queue, and what was queued here since. */
  const queueCounts = new Map<number, { at: number; count: number }>()

  /**
   * How many queued messages of the instance are ahead of `firstId` (this batch's first), for the
   * expected wait. Counting a long queue costs more than storing a message, so it is counted at
   * most once a second per instance and advanced in between by what this process queued.
   */
  async function queuedAhead(instanceId: number, firstId: number, queued: number): Promise<number> {
    const now = performance.now()
    const known = queueCounts.get(instanceId)
    let ahead: number
    if (!known || now - known.at >= QUEUE_COUNT_MS) {
      ahead = await repo.countQueuedBefore(db, instanceId, firstId)
      queueCounts.set(instanceId, { at: now, count: ahead + queued })
    } else {
      ahead = known.count
      known.count += queued
    }
    return ahead
  }

  async function write(batch: Waiting[]): Promise<void> {
    let outcomes: Map<QueuedSend, Outcome>
    try {
      outcomes = await db.transaction().execute((trx) =>
        store(
          trx,
          batch.map((w) => w.send),
        ),
      )
    } catch (error) {
      // One bad send must not fail the others with it: each is tried again on its own.
      if (batch.length === 1) {
        batch[0]!.reject(error)
        return
      }
      for (const one of batch) await write([one])
      return
    }
    const aheadBase = new Map<number, number>()
    const stored = batch.flatMap((waiting) => {
      const outcome = outcomes.get(waiting.send)!
      return 'row' in outcome ? [{ instanceId: waiting.send.instance.id, id: outcome.row.id }] : []
    })
    for (const [instanceId, sends] of groupBy(stored, (send) => send.instanceId)) {
      deps.onQueued(instanceId)
      const firstId = Math.min(...sends.map((send) => send.id))
      // Only an estimate: a failed count must not fail sends already stored.
      aheadBase.set(instanceId, await queuedAhead(instanceId, firstId, sends.length).catch(() => 0))
    }
    for (const waiting of batch) {
      const outcome = outcomes.get(waiting.send)!
      if ('error' in outcome) {
        waiting.reject(outcome.error)
        continue
      }
      const instanceId = waiting.send.instance.id
      const position = aheadBase.get(instanceId)!
      aheadBase.set(instanceId, position + 1)
      waiting.resolve({
        row: outcome.row,
        remainingQuota: Math.max(0, waiting.send.instance.daily_limit - outcome.usage),
        ahead: position,
      })
    }
  }

  async function flush(): Promise<void> {
    scheduled = false
    if (writing) return
    writing = true
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, MAX_BATCH)
        waiting = waiting.slice(MAX_BATCH)
        await write(batch)
      }
    } finally {
      writing = false
    }
  }

  return {
    /** Stores the send with the others that arrive meanwhile; resolves once it is committed. */
    queue(send: QueuedSend): Promise<StoredSend> {
      return new Promise<StoredSend>((resolve, reject) => {
        waiting.push({ send, resolve, reject })
        if (!scheduled && !writing) {
          scheduled = true
          // After the requests that arrived together have had their turn.
          setImmediate(() => void flush())
        }
      })
    },
  }
}
