import type { Kysely } from 'kysely'
import { boolType, isPostgres, jsonType, timestampType } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  const columns: [string, any, (c: any) => any][] = [
    ['daily_limit', 'integer', (c) => c.notNull().defaultTo(500)],
    ['send_delay_min', 'integer', (c) => c.notNull().defaultTo(3)],
    ['send_delay_max', 'integer', (c) => c.notNull().defaultTo(15)],
    ['settings', jsonType(db), (c) => c],
    ['profile_name', 'varchar(255)', (c) => c],
    ['platform', 'varchar(64)', (c) => c],
    ['jid', 'varchar(128)', (c) => c],
    ['last_error', 'text', (c) => c],
    ['qr_code_text', 'text', (c) => c],
    ['qr_generated_at', ts, (c) => c],
    ['qr_expires_at', ts, (c) => c],
    ['connected_at', ts, (c) => c],
    ['disconnected_at', ts, (c) => c],
    ['last_heartbeat_at', ts, (c) => c],
    ['last_activity_at', ts, (c) => c],
    // Whether the instance should hold a connection: a process that owns it connects it.
    ['desired_connected', boolType(db), (c) => c.notNull().defaultTo(false)],
    // Lease: the process holding the connection, until when (renewed every few seconds).
    ['owner_id', 'varchar(64)', (c) => c],
    ['lease_expires_at', ts, (c) => c],
  ]
  for (const [name, type, build] of columns) {
    await db.schema.alterTable('instances').addColumn(name, type, build).execute()
  }
  await db.schema
    .createIndex('instances_owner_idx')
    .on('instances')
    .columns(['owner_id', 'lease_expires_at'])
    .execute()

  await db.schema
    .createTable('instance_auth_creds')
    .addColumn('instance_id', 'integer', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
    .addColumn('creds', 'text', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('instance_auth_keys')
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('key_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_auth_keys_pk', ['instance_id', 'type', 'key_id'])
    .execute()

  await db.schema
    .createTable('lid_mappings')
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('lid', 'varchar(64)', (c) => c.notNull())
    .addColumn('phone', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('lid_mappings_pk', ['instance_id', 'lid'])
    .execute()
  await db.schema
    .createIndex('lid_mappings_phone_idx')
    .on('lid_mappings')
    .columns(['instance_id', 'phone'])
    .execute()

  // The events outbox: written in the transaction of the change that caused the event.
  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', (c) =>
      isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('instance_id', 'integer', (c) => c.references('instances.id').onDelete('cascade'))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', jsonType(db), (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('events_instance_idx').on('events').columns(['instance_id', 'id']).execute()

  // How far each consumer of the outbox (webhooks, live stream, automation) has read.
  await db.schema
    .createTable('event_cursors')
    .addColumn('consumer', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('last_event_id', 'integer', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()

  // Live processes of a cluster, so that instances are shared out evenly among them.
  await db.schema
    .createTable('cluster_nodes')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('address', 'varchar(255)')
    .addColumn('started_at', ts, (c) => c.notNull())
    .addColumn('heartbeat_at', ts, (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'cluster_nodes',
    'event_cursors',
    'events',
    'lid_mappings',
    'instance_auth_keys',
    'instance_auth_creds',
  ]) {
    await db.schema.dropTable(table).execute()
  }
  await db.schema.dropIndex('instances_owner_idx').execute()
  for (const column of [
    'lease_expires_at',
    'owner_id',
    'desired_connected',
    'last_activity_at',
    'last_heartbeat_at',
    'disconnected_at',
    'connected_at',
    'qr_expires_at',
    'qr_generated_at',
    'qr_code_text',
    'last_error',
    'jid',
    'platform',
    'profile_name',
    'settings',
    'send_delay_max',
    'send_delay_min',
    'daily_limit',
  ]) {
    await db.schema.alterTable('instances').dropColumn(column).execute()
  }
}
