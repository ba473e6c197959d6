import type { Kysely } from 'kysely'
import { timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  // Uploaded files, files fetched for a send, and received files: the bytes live in the media
  // store, the row says whose they are, what they are and until when they are kept.
  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('media'))
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('instance_id', 'integer', (c) => c.references('instances.id').onDelete('set null'))
      // A deleted message leaves its file behind as an orphan: the sweep removes both.
      .addColumn('message_id', 'integer', (c) => c.references('messages.id').onDelete('set null'))
      .addColumn('origin', 'varchar(16)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('mime_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('size', 'integer')
      .addColumn('filename', 'varchar(255)')
      .addColumn('storage_key', 'varchar(255)')
      .addColumn('sha256', 'varchar(64)')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('error', 'text')
      .addColumn('raw', 'text')
      .addColumn('expires_at', ts),
  ).execute()
  await db.schema.createIndex('media_tenant_idx').on('media').columns(['tenant_id', 'id']).execute()
  // One file per message: a replayed message event cannot download its media twice.
  await db.schema.createIndex('media_message_uq').on('media').column('message_id').unique().execute()
  await db.schema.createIndex('media_expiry_idx').on('media').columns(['expires_at']).execute()
  await db.schema
    .createIndex('media_download_idx')
    .on('media')
    .columns(['status', 'next_attempt_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('media').execute()
}
