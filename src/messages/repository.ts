import { type Insertable, type Kysely, sql, type Updateable } from 'kysely'
import { messageSearch } from '../db/dialect.js'
import { preparedRows, preparedStatement } from '../db/prepared.js'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { MessageStatus, MessagesTable } from './table.js'

type Db = Kysely<DB>

export const MESSAGE_COLUMNS = [
  'messages.id',
  'messages.uuid',
  'messages.tenant_id',
  'messages.instance_id',
  'messages.conversation_id',
  'messages.whatsapp_message_id',
  'messages.direction',
  'messages.chat_jid',
  'messages.sender_jid',
  'messages.sender_number',
  'messages.sender_name',
  'messages.recipient_number',
  'messages.type',
  'messages.body',
  'messages.caption',
  'messages.media_id',
  'messages.media_url',
  'messages.media_mime',
  'messages.media_file_name',
  'messages.media_size',
  'messages.media_path',
  'messages.quoted_message_id',
  'messages.mentions',
  'messages.status',
  'messages.error_code',
  'messages.error_message',
  'messages.attempts',
  'messages.next_attempt_at',
  'messages.expires_at',
  'messages.scheduled_at',
  'messages.sent_at',
  'messages.delivered_at',
  'messages.read_at',
  'messages.played_at',
  'messages.failed_at',
  'messages.edited_at',
  'messages.deleted_at',
  'messages.is_placeholder',
  'messages.source',
  'messages.created_by',
  'messages.created_at',
  'messages.updated_at',
] as const

export type MessageRow = Awaited<ReturnType<typeof findMessageById>> & {}

export async function findMessageById(db: Db, id: number) {
  return db.selectFrom('messages').select(MESSAGE_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function findMessage(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('messages').select(MESSAGE_COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findMessageInInstance(db: Db, instanceId: number, ref: EntityRef) {
  const query = db.selectFrom('messages').select(MESSAGE_COLUMNS).where('instance_id', '=', instanceId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findByWhatsappId(db: Db, instanceId: number, whatsappId: string) {
  return db
    .selectFrom('messages')
    .select(MESSAGE_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('whatsapp_message_id', '=', whatsappId)
    .executeTakeFirst()
}

export async function updateMessage(db: Db, id: number, patch: Updateable<MessagesTable>): Promise<void> {
  await db.updateTable('messages').set(patch).where('id', '=', id).execute()
}

const RANK: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 }

/**
 * Moves a message's status forward only (a late `delivered` after `read` changes nothing);
 * answers whether it moved. `failed` is reachable only from `pending` or `sent`.
 */
export async function advanceStatus(
  db: Db,
  id: number,
  to: MessageStatus,
  patch: Updateable<MessagesTable>,
): Promise<boolean> {
  const allowed = (Object.keys(RANK) as MessageStatus[]).filter((s) =>
    to === 'failed' ? s === 'pending' || s === 'sent' : s !== 'failed' && RANK[s] < RANK[to],
  )
  const result = await db
    .updateTable('messages')
    .set({ ...patch, status: to })
    .where('id', '=', id)
    .where('status', 'in', allowed)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Messages the instance queued on `day` (UTC, YYYY-MM-DD): the day's quota use. */
export async function usageOn(db: Db, instanceId: number, day: string): Promise<number> {
  const row = await db
    .selectFrom('message_usage')
    .select('queued')
    .where('instance_id', '=', instanceId)
    .where('day', '=', day)
    .executeTakeFirst()
  return row?.queued ?? 0
}

/** Where the periods of an instance's statistics start: ISO times, UTC. */
export interface StatsPeriods {
  day: string
  week: string
  month: string
}

/**
 * An instance's traffic: messages sent (queued or sent from the phone) and received since the
 * start of the day, week and month, outgoing messages that failed, and the conversations and
 * contacts it has. One statement: the period counts read the `(instance_id, direction,
 * created_at)` index from the earlier of the week's and the month's start.
 */
export async function instanceStats(db: Db, tenantId: number, instanceId: number, since: StatsPeriods) {
  // ISO times of one format sort as they fall: the earlier start of the week and the month.
  const [from] = [since.week, since.month].sort()
  const row = await db
    .selectFrom('messages')
    .where('messages.tenant_id', '=', tenantId)
    .where('messages.instance_id', '=', instanceId)
    .where('messages.direction', 'in', ['incoming', 'outgoing'])
    .where('messages.created_at', '>=', from!)
    .select((eb) => {
      const counted = (direction: 'incoming' | 'outgoing', start: string) =>
        eb.fn
          .countAll<number | string>()
          .filterWhere((f) =>
            f.and([f('messages.direction', '=', direction), f('messages.created_at', '>=', start)]),
          )
      return [
        counted('incoming', since.day).as('received_today'),
        counted('outgoing', since.week).as('sent_week'),
        counted('incoming', since.week).as('received_week'),
        counted('outgoing', since.month).as('sent_month'),
        counted('incoming', since.month).as('received_month'),
        eb
          .selectFrom('messages as failed')
          .select((s) => s.fn.countAll<number | string>().as('n'))
          .where('failed.status', '=', 'failed')
          .where('failed.instance_id', '=', instanceId)
          .where('failed.tenant_id', '=', tenantId)
          .as('failed'),
        eb
          .selectFrom('conversations')
          .select((s) => s.fn.countAll<number | string>().as('n'))
          .where('conversations.instance_id', '=', instanceId)
          .where('conversations.tenant_id', '=', tenantId)
          .as('conversations'),
        eb
          .selectFrom('contacts')
          .select((s) => s.fn.countAll<number | string>().as('n'))
          .where('contacts.instance_id', '=', instanceId)
          .where('contacts.tenant_id', '=', tenantId)
          .as('contacts'),
      ]
    })
    .executeTakeFirstOrThrow()
  // PostgreSQL answers counts as bigint strings.
  return {
    receivedToday: Number(row.received_today),
    sentThisWeek: Number(row.sent_week),
    receivedThisWeek: Number(row.received_week),
    sentThisMonth: Number(row.sent_month),
    receivedThisMonth: Number(row.received_month),
    failed: Number(row.failed ?? 0),
    conversations: Number(row.conversations ?? 0),
    contacts: Number(row.contacts ?? 0),
  }
}

const createUsage = preparedStatement(['instance_id', 'day', 'at'], (db, p) =>
  db
    .insertInto('message_usage')
    .values({ instance_id: p['instance_id'] as never, day: p['day']!, queued: 0, updated_at: p['at']! })
    .onConflict((oc) => oc.columns(['instance_id', 'day']).doNothing()),
)

const addUsage = preparedStatement(['instance_id', 'day', 'at', 'count', 'at_most'], (db, p) =>
  db
    .updateTable('message_usage')
    .set({ queued: sql<number>`queued + ${p['count']}`, updated_at: p['at']! })
    .where('instance_id', '=', p['instance_id'] as never)
    .where('day', '=', p['day']!)
    .where('queued', '<=', p['at_most'] as never)
    .returning('queued'),
)

/**
 * Takes `count` messages of the day's quota if that many are left; answers the day's use after
 * it, or null when fewer are left. The condition in the update makes concurrent sends unable to
 * overshoot the limit.
 */
export async function takeQuota(
  db: Db,
  instanceId: number,
  day: string,
  limit: number,
  at: string,
  count = 1,
): Promise<number | null> {
  await createUsage(db, { instance_id: instanceId, day, at })
  const [row] = await addUsage(db, { instance_id: instanceId, day, at, count, at_most: limit - count })
  return row ? Number(row.queued) : null
}

/** The columns a stored message is written with (the rest keep their defaults). */
const INSERT_COLUMNS = [
  'uuid',
  'tenant_id',
  'instance_id',
  'conversation_id',
  'whatsapp_message_id',
  'direction',
  'chat_jid',
  'sender_jid',
  'sender_number',
  'sender_name',
  'recipient_number',
  'type',
  'body',
  'caption',
  'media_id',
  'media_url',
  'media_mime',
  'media_file_name',
  'media_size',
  'media_path',
  'quoted_message_id',
  'mentions',
  'status',
  'error_code',
  'error_message',
  'attempts',
  'next_attempt_at',
  'expires_at',
  'scheduled_at',
  'sent_at',
  'delivered_at',
  'read_at',
  'played_at',
  'failed_at',
  'edited_at',
  'deleted_at',
  'is_placeholder',
  'source',
  'created_by',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof MessagesTable)[]

/** Rows a statement: about forty columns a row, well under both databases' parameter limits. */
const INSERT_CHUNK = 50

/** What an insert stores for the columns a row leaves out that are not null. */
const INSERT_DEFAULTS = { attempts: 0, is_placeholder: false, source: 'api' }

const insertReturningIds = preparedRows(
  INSERT_COLUMNS,
  (db, rows) =>
    db
      .insertInto('messages')
      .values(rows as never)
      .returning(['id', 'whatsapp_message_id']),
  INSERT_DEFAULTS,
)

const insertReturningRows = preparedRows(
  INSERT_COLUMNS,
  (db, rows) =>
    db
      .insertInto('messages')
      .values(rows as never)
      .returning(MESSAGE_COLUMNS),
  INSERT_DEFAULTS,
)

type NewMessage = Insertable<MessagesTable> & { whatsapp_message_id: string }

/** In statements of INSERT_CHUNK rows; a column a row leaves out is null, or its default. */
async function insertChunks<Out>(
  statement: (db: Db, rows: readonly object[]) => Promise<Out[]>,
  db: Db,
  rows: NewMessage[],
): Promise<Out[]> {
  const out: Out[] = []
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    out.push(...(await statement(db, rows.slice(i, i + INSERT_CHUNK))))
  }
  return out
}

/** Inserts messages, each with a WhatsApp id of its own; answers their ids by WhatsApp id. */
export async function insertMessages(db: Db, rows: NewMessage[]): Promise<Map<string, number>> {
  const inserted = await insertChunks(insertReturningIds, db, rows)
  return new Map(inserted.map((row) => [row.whatsapp_message_id!, row.id]))
}

/** Like insertMessages, answering the stored rows. */
export async function insertMessagesReturning(db: Db, rows: NewMessage[]): Promise<Map<string, MessageRow>> {
  const inserted = (await insertChunks(insertReturningRows, db, rows)) as MessageRow[]
  return new Map(inserted.map((row) => [row.whatsapp_message_id!, row]))
}

/** Queued messages of the instance ahead of (older than) `beforeId`, for the expected wait. */
export async function countQueuedBefore(db: Db, instanceId: number, beforeId: number): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'pending')
    .where('direction', '=', 'outgoing')
    .where('id', '<', beforeId)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

/** The oldest outgoing message of the instance that is due now. */
export async function nextDue(db: Db, instanceId: number, now: string) {
  return db
    .selectFrom('messages')
    .select(MESSAGE_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'pending')
    .where('direction', '=', 'outgoing')
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .where((eb) => eb.or([eb('scheduled_at', 'is', null), eb('scheduled_at', '<=', now)]))
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
}

/** When the instance's next queued message falls due, if any is waiting. */
export async function nextDueAt(db: Db, instanceId: number): Promise<string | null> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.min(sql<string>`coalesce(next_attempt_at, scheduled_at, created_at)`).as('at'))
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'pending')
    .where('direction', '=', 'outgoing')
    .executeTakeFirst()
  return row?.at ?? null
}

export async function upsertReaction(
  db: Db,
  row: {
    message_id: number
    reactor_jid: string
    reactor_number: string | null
    emoji: string
    from_me: boolean
    reacted_at: string
  },
): Promise<void> {
  await db
    .insertInto('message_reactions')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['message_id', 'reactor_jid'])
        .doUpdateSet({ emoji: row.emoji, reacted_at: row.reacted_at, from_me: row.from_me }),
    )
    .execute()
}

export async function deleteReaction(db: Db, messageId: number, reactorJid: string): Promise<boolean> {
  const result = await db
    .deleteFrom('message_reactions')
    .where('message_id', '=', messageId)
    .where('reactor_jid', '=', reactorJid)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function listReactions(db: Db, messageIds: number[]) {
  if (messageIds.length === 0) return []
  return db
    .selectFrom('message_reactions')
    .select(['message_id', 'reactor_jid', 'reactor_number', 'emoji', 'from_me', 'reacted_at'])
    .where('message_id', 'in', messageIds)
    .orderBy('reacted_at')
    .execute()
}

/** Instances that have outgoing messages waiting. */
export async function instancesWithQueue(db: Db): Promise<number[]> {
  const rows = await db
    .selectFrom('messages')
    .select('instance_id')
    .distinct()
    .where('status', '=', 'pending')
    .where('direction', '=', 'outgoing')
    .execute()
  return rows.map((r) => r.instance_id)
}

export async function listMessages(
  db: Db,
  tenantId: number,
  filter: {
    instanceId: number | null
    conversation_id?: number | undefined
    direction?: string | undefined
    status?: string | undefined
    from?: string | undefined
    to?: string | undefined
    search?: string | undefined
  },
  page: { limit: number; offset: number },
) {
  let query = db.selectFrom('messages').where('messages.tenant_id', '=', tenantId)
  if (filter.instanceId) query = query.where('messages.instance_id', '=', filter.instanceId)
  if (filter.conversation_id) query = query.where('messages.conversation_id', '=', filter.conversation_id)
  if (filter.direction)
    query = query.where('messages.direction', '=', filter.direction as 'incoming' | 'outgoing')
  if (filter.status) query = query.where('messages.status', '=', filter.status as MessageStatus)
  if (filter.from) query = query.where('messages.created_at', '>=', filter.from)
  if (filter.to) query = query.where('messages.created_at', '<=', filter.to)
  if (filter.search) {
    const condition = messageSearch(db, filter.search)
    if (!condition) return { rows: [], total: 0 }
    query = query.where(condition)
  }
  const [rows, total] = await Promise.all([
    query
      .select(MESSAGE_COLUMNS)
      .orderBy('messages.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(total.count) }
}

export async function listScheduled(
  db: Db,
  tenantId: number,
  filter: {
    instanceId: number | null
    from?: string | undefined
    to?: string | undefined
    status?: string | undefined
  },
  page: { limit: number; offset: number },
) {
  let query = db
    .selectFrom('messages')
    .where('messages.tenant_id', '=', tenantId)
    .where('messages.scheduled_at', 'is not', null)
    .where('messages.direction', '=', 'outgoing')
  if (filter.instanceId) query = query.where('messages.instance_id', '=', filter.instanceId)
  if (filter.from) query = query.where('messages.scheduled_at', '>=', filter.from)
  if (filter.to) query = query.where('messages.scheduled_at', '<=', filter.to)
  if (filter.status === 'cancelled') query = query.where('messages.error_code', '=', 'CANCELLED')
  else if (filter.status) query = query.where('messages.status', '=', filter.status as MessageStatus)
  const [rows, total] = await Promise.all([
    query
      .select(MESSAGE_COLUMNS)
      .orderBy('messages.scheduled_at')
      .orderBy('messages.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(total.count) }
}

/** Changes a message still waiting in the queue; answers whether it was still waiting. */
export async function updatePending(db: Db, id: number, patch: Updateable<MessagesTable>): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set(patch)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', 0)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Sets the send time where it is missing and ends the in-flight hold, whatever the status. */
export async function recordSent(db: Db, id: number, sentAt: string, at: string): Promise<void> {
  await db
    .updateTable('messages')
    .set((eb) => ({
      sent_at: eb.fn.coalesce('sent_at', eb.val(sentAt)),
      next_attempt_at: null,
      updated_at: at,
    }))
    .where('id', '=', id)
    .execute()
}
