import { type Insertable, type Kysely, sql, type Updateable } from 'kysely'
import { isPostgres } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { compiledQuery } from '../events/compiled.js'
import type { EntityRef } from '../lib/ids.js'
import type { DeliveryStatus, WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from './table.js'

type Db = Kysely<DB>

export async function findWebhook(db: Db, instanceId: number) {
  return db.selectFrom('webhooks').selectAll().where('instance_id', '=', instanceId).executeTakeFirst()
}

/** A webhook with what an attempt needs (its instance's uuid). */
export async function findWebhookForDelivery(db: Db, id: number) {
  return db
    .selectFrom('webhooks')
    .innerJoin('instances', 'instances.id', 'webhooks.instance_id')
    .select([
      'webhooks.id',
      'webhooks.url',
      'webhooks.secret',
      'webhooks.is_active',
      'instances.uuid as instance_uuid',
    ])
    .where('webhooks.id', '=', id)
    .executeTakeFirst()
}

export async function insertWebhook(db: Db, row: Insertable<WebhooksTable>): Promise<void> {
  await db.insertInto('webhooks').values(row).execute()
}

export async function updateWebhook(db: Db, id: number, patch: Updateable<WebhooksTable>): Promise<void> {
  await db.updateTable('webhooks').set(patch).where('id', '=', id).execute()
}

export async function deleteWebhook(db: Db, instanceId: number): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('instance_id', '=', instanceId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function activeWebhooksFor(db: Db, instanceIds: number[]) {
  if (instanceIds.length === 0) return []
  return db
    .selectFrom('webhooks')
    .select(['id', 'tenant_id', 'instance_id', 'events'])
    .where('instance_id', 'in', instanceIds)
    .where('is_active', '=', true)
    .execute()
}

export type NewDelivery = Insertable<WebhookDeliveriesTable>

/** Inserts deliveries; one already written for the same (event, webhook) is left alone. */
export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 100) {
    await db
      .insertInto('webhook_deliveries')
      .values(rows.slice(i, i + 100))
      .onConflict((oc) => oc.columns(['event_id', 'webhook_id']).doNothing())
      .execute()
  }
}

export async function insertDelivery(db: Db, row: NewDelivery): Promise<number> {
  const { id } = await db
    .insertInto('webhook_deliveries')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

const CLAIMED = [
  'id',
  'uuid',
  'webhook_id',
  'event',
  'body',
  'attempts',
  'retry_until',
  'created_at',
] as const

/**
 * Takes up to `limit` due deliveries for this process: their next attempt moves to `leaseUntil`,
 * so that another process (or this one after a crash) tries again only if this attempt is lost.
 * PostgreSQL skips rows another process is claiming at the same moment.
 */
export async function claimDue(db: Db, now: string, leaseUntil: string, limit: number) {
  let due = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
  let claim = db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', due)
  // PostgreSQL rechecks a row another transaction changed meanwhile; SQLite has one writer, and
  // repeating the conditions there makes it scan every due row instead of looking up the ids.
  if (isPostgres(db)) {
    due = due.forUpdate().skipLocked()
    claim = db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', due)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
  }
  return claim.returning(CLAIMED).execute()
}

/** Hands claimed deliveries back untried (at shutdown), due at once. */
export async function releaseClaims(db: Db, ids: number[], now: string): Promise<void> {
  if (ids.length === 0) return
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ next_attempt_at: now, attempts: eb('attempts', '-', 1) }))
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .execute()
}

export type ClaimedDelivery = Awaited<ReturnType<typeof claimDue>>[number]

export interface AttemptOutcome {
  deliveryId: number
  patch: Updateable<WebhookDeliveriesTable>
  attempt: Insertable<WebhookAttemptsTable>
}

/** The update of one attempt's outcome, built once per dialect (it runs for every delivery). */
const outcomeUpdates = new Map<boolean, ReturnType<typeof buildOutcomeUpdate>>()
function buildOutcomeUpdate(db: Db) {
  return compiledQuery(
    (
      id: number,
      status: string,
      next: string | null,
      at: string,
      code: number | null,
      excerpt: string | null,
      error: string | null,
      ms: number,
      deliveredAt: string | null,
    ) =>
      db
        .updateTable('webhook_deliveries')
        .set({
          status: status as DeliveryStatus,
          next_attempt_at: next,
          last_attempt_at: at,
          response_status: code,
          response_excerpt: excerpt,
          last_error: error,
          duration_ms: ms,
          delivered_at: sql<string | null>`coalesce(${deliveredAt}, delivered_at)`,
          updated_at: at,
        })
        .where('id', '=', id),
    9,
  )
}

/** Stores the outcome of several attempts in one transaction (one commit for many deliveries). */
export async function recordOutcomes(db: Db, outcomes: AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  const postgres = isPostgres(db)
  let update = outcomeUpdates.get(postgres)
  if (!update) {
    update = buildOutcomeUpdate(db)
    outcomeUpdates.set(postgres, update)
  }
  const run = update
  await db.transaction().execute(async (trx) => {
    for (const { deliveryId, patch } of outcomes) {
      await run(
        trx,
        deliveryId,
        patch.status!,
        patch.next_attempt_at ?? null,
        patch.last_attempt_at!,
        patch.response_status ?? null,
        patch.response_excerpt ?? null,
        patch.last_error ?? null,
        patch.duration_ms ?? 0,
        patch.delivered_at ?? null,
      )
    }
    await trx
      .insertInto('webhook_attempts')
      .values(outcomes.map((o) => o.attempt))
      .execute()
  })
}

export async function listDeliveries(
  db: Db,
  webhookId: number,
  filter: { status?: DeliveryStatus | undefined; event?: string | undefined },
  page: { limit: number; offset: number },
) {
  let query = db.selectFrom('webhook_deliveries').where('webhook_id', '=', webhookId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.event) query = query.where('event', '=', filter.event)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function attemptsOf(db: Db, deliveryIds: number[]) {
  if (deliveryIds.length === 0) return []
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('delivery_id')
    .orderBy('attempt')
    .execute()
}

export async function findDelivery(db: Db, webhookId: number, ref: EntityRef) {
  const query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findDeliveryById(db: Db, id: number) {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

export async function updateDelivery(
  db: Db,
  id: number,
  patch: Updateable<WebhookDeliveriesTable>,
): Promise<void> {
  await db.updateTable('webhook_deliveries').set(patch).where('id', '=', id).execute()
}

/** Drops finished deliveries (and their attempts) last touched before `before`. */
export async function purgeFinished(db: Db, before: string): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('status', 'in', ['delivered', 'failed'])
    .where('updated_at', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function saveWorkerSecret(
  db: Db,
  row: { instance_id: number; tenant_id: number; secret: string; created_at: string },
): Promise<boolean> {
  const existing = await db
    .selectFrom('worker_secrets')
    .select('instance_id')
    .where('instance_id', '=', row.instance_id)
    .executeTakeFirst()
  await db
    .insertInto('worker_secrets')
    .values(row)
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({ secret: row.secret, created_at: row.created_at }),
    )
    .execute()
  return existing !== undefined
}

export async function findWorkerSecret(db: Db, instanceId: number): Promise<string | null> {
  const row = await db
    .selectFrom('worker_secrets')
    .select('secret')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row?.secret ?? null
}
