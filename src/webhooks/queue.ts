import { CompiledQuery, type Insertable, type Kysely, sql, type Updateable } from 'kysely'
import { isPostgres } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { compiledQuery } from '../events/compiled.js'
import type { DeliveryStatus, WebhookAttemptsTable, WebhookDeliveriesTable } from './table.js'

// The delivery queue: the SQL that runs for every event and every attempt.

type Db = Kysely<DB>

/** A compiled query per dialect (the SQL differs only there), built on first use. */
function perDialect<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new Map<boolean, Q>()
  return (db) => {
    const postgres = isPostgres(db)
    let query = built.get(postgres)
    if (query === undefined) {
      query = build(db)
      built.set(postgres, query)
    }
    return query
  }
}

const activeWebhooksOf = perDialect((db) =>
  compiledQuery(
    (instanceId: number) =>
      db
        .selectFrom('webhooks')
        .select(['id', 'tenant_id', 'instance_id', 'events'])
        .where('instance_id', '=', instanceId)
        .where('is_active', '=', true),
    1,
  ),
)

/** The active webhooks of the instances of a batch of events (nearly always one instance). */
export async function activeWebhooksFor(db: Db, instanceIds: number[]) {
  if (instanceIds.length === 1) return activeWebhooksOf(db)(db, instanceIds[0]!)
  if (instanceIds.length === 0) return []
  return db
    .selectFrom('webhooks')
    .select(['id', 'tenant_id', 'instance_id', 'events'])
    .where('instance_id', 'in', instanceIds)
    .where('is_active', '=', true)
    .execute()
}

export type NewDelivery = Insertable<WebhookDeliveriesTable>

const DELIVERY_COLUMNS = [
  'uuid',
  'tenant_id',
  'instance_id',
  'webhook_id',
  'event_id',
  'event',
  'body',
  'status',
  'attempts',
  'next_attempt_at',
  'retry_until',
  'created_at',
  'updated_at',
] as const

/**
 * Inserts deliveries; one already written for the same (event, webhook) is left alone. The SQL
 * is written out here rather than built: this runs for every event, and building a many-row
 * insert costs more than running it.
 */
export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<void> {
  const postgres = isPostgres(db)
  for (let i = 0; i < rows.length; i += 100) {
    const parameters: unknown[] = []
    const tuples = rows.slice(i, i + 100).map((row) => {
      const marks = DELIVERY_COLUMNS.map((column) => {
        parameters.push(row[column] ?? null)
        return postgres ? `$${parameters.length}` : '?'
      })
      return `(${marks.join(', ')})`
    })
    const text =
      `insert into "webhook_deliveries" (${DELIVERY_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
      `values ${tuples.join(', ')} on conflict ("event_id", "webhook_id") do nothing`
    await db.executeQuery(CompiledQuery.raw(text, parameters))
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
  // The previous attempt, which moves to the attempts log when this one is stored.
  'last_attempt_at',
  'response_status',
  'response_excerpt',
  'last_error',
  'duration_ms',
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
  /** The attempt this one replaces in the delivery row, for the log; null for a first attempt. */
  previous: Insertable<WebhookAttemptsTable> | null
}

/** The update of one attempt's outcome, built once per dialect (it runs for every delivery). */
const outcomeUpdate = perDialect((db) =>
  compiledQuery(
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
  ),
)

/**
 * Stores the outcome of several attempts in one transaction (one commit for many deliveries).
 * A delivery row holds its latest attempt; the earlier ones are in `webhook_attempts`, so that a
 * delivery that succeeds at once (nearly all of them) costs no log row.
 */
export async function recordOutcomes(db: Db, outcomes: AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  const run = outcomeUpdate(db)
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
    const previous = outcomes.flatMap((o) => (o.previous ? [o.previous] : []))
    if (previous.length > 0) await trx.insertInto('webhook_attempts').values(previous).execute()
  })
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
