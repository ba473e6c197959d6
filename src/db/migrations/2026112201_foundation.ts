import type { Kysely } from 'kysely'
import { boolType, jsonType, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('tenants'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('active')),
  ).execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('users'))
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('email', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('role', 'varchar(20)', (c) => c.notNull())
      .addColumn('locale', 'varchar(10)', (c) => c.notNull().defaultTo('en'))
      .addColumn('timezone', 'varchar(64)', (c) => c.notNull().defaultTo('UTC'))
      .addColumn('email_verified_at', ts)
      .addColumn('two_factor_secret', 'text')
      .addColumn('two_factor_enabled', boolType(db), (c) => c.notNull().defaultTo(false))
      .addColumn('two_factor_confirmed_at', ts)
      .addColumn('two_factor_last_step', 'bigint')
      .addColumn('two_factor_recovery_codes', jsonType(db)),
  ).execute()
  await db.schema.createIndex('users_tenant_idx').on('users').column('tenant_id').execute()

  await withIds(db, db.schema.createTable('user_tokens'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('last_used_at', ts)
    .addColumn('expires_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('user_tokens_user_idx').on('user_tokens').column('user_id').execute()

  await db.schema
    .createTable('password_resets')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('login_failures')
    .addColumn('email', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_failed_at', ts, (c) => c.notNull())
    .addColumn('locked_until', ts)
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('instances'))
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('engine', 'varchar(20)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('phone_number', 'varchar(32)'),
  ).execute()
  await db.schema.createIndex('instances_tenant_idx').on('instances').column('tenant_id').execute()

  await withIds(db, db.schema.createTable('instance_tokens'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('token_hint', 'varchar(16)', (c) => c.notNull())
    .addColumn('last_used_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('instance_tokens_instance_idx')
    .on('instance_tokens')
    .column('instance_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'instance_tokens',
    'instances',
    'login_failures',
    'password_resets',
    'user_tokens',
    'users',
    'tenants',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
