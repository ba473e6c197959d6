import type { Insertable, Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { DeliveryStatus, WebhookDeliveriesTable, WebhooksTable } from './table.js'

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
