import type { Kysely } from 'kysely'
import { boolType, isPostgres, jsonType, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  const tenant = (c: any) => c.notNull().references('tenants.id').onDelete('cascade')
  const instance = (c: any) => c.notNull().references('instances.id').onDelete('cascade')

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('webhooks'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', (c) => instance(c).unique())
      .addColumn('url', 'varchar(2048)', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('events', jsonType(db))
      .addColumn('is_active', boolType(db), (c) => c.notNull().defaultTo(true)),
  ).execute()

  await withTimestamps(
    db,
    // Tenant and instance are copies for reading; the rows go with their webhook (and it with
    // its instance), so only that key is enforced, and inserts stay cheap.
    withIds(db, db.schema.createTable('webhook_deliveries'))
      .addColumn('tenant_id', 'integer', (c) => c.notNull())
      .addColumn('instance_id', 'integer', (c) => c.notNull())
      .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_id', 'varchar(36)')
      .addColumn('event', 'varchar(64)', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('retry_until', ts, (c) => c.notNull())
      .addColumn('last_attempt_at', ts)
      .addColumn('response_status', 'integer')
      .addColumn('response_excerpt', 'text')
      .addColumn('last_error', 'text')
      .addColumn('duration_ms', 'integer')
      .addColumn('delivered_at', ts),
  ).execute()
  // One delivery per (event, webhook): the outbox consumer may offer an event twice.
  await db.schema
    .createIndex('webhook_deliveries_event_uq')
    .on('webhook_deliveries')
    .columns(['event_id', 'webhook_id'])
    .unique()
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'id'])
    .execute()

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'integer', (c) =>
      isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('delivery_id', 'integer', (c) =>
      c.notNull().references('webhook_deliveries.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', ts, (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_excerpt', 'text')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('webhook_attempts_delivery_idx')
    .on('webhook_attempts')
    .columns(['delivery_id', 'attempt'])
    .execute()

  await db.schema
    .createTable('worker_secrets')
    .addColumn('instance_id', 'integer', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
    .addColumn('tenant_id', 'integer', tenant)
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['worker_secrets', 'webhook_attempts', 'webhook_deliveries', 'webhooks']) {
    await db.schema.dropTable(table).execute()
  }
}
