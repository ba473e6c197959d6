import { type Kysely, sql } from 'kysely'
import { isPostgres, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('tags'))
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'varchar(50)', (c) => c.notNull())
      // The name folded to lower case: names are unique per tenant whatever their case.
      .addColumn('name_key', 'varchar(200)', (c) => c.notNull())
      .addColumn('color', 'varchar(7)', (c) => c.notNull()),
  ).execute()
  await db.schema
    .createIndex('tags_tenant_name_uq')
    .on('tags')
    .columns(['tenant_id', 'name_key'])
    .unique()
    .execute()

  await db.schema
    .createTable('conversation_tags')
    .addColumn('conversation_id', 'integer', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('tag_id', 'integer', (c) => c.notNull().references('tags.id').onDelete('cascade'))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_tags_pk', ['conversation_id', 'tag_id'])
    .execute()
  await db.schema
    .createIndex('conversation_tags_tag_idx')
    .on('conversation_tags')
    .columns(['tag_id', 'conversation_id'])
    .execute()

  // The inbox lists conversations newest activity first, per tenant or per instance (sk_ tokens).
  // PostgreSQL puts NULLs first in a descending order unless told; the index says NULLS LAST as
  // the query does. SQLite sorts NULLs last when descending and scans the plain index backwards.
  if (isPostgres(db)) {
    await sql`CREATE INDEX conversations_tenant_inbox_idx ON conversations
      (tenant_id, is_archived, last_message_at DESC NULLS LAST, id DESC)`.execute(db)
    await sql`CREATE INDEX conversations_instance_inbox_idx ON conversations
      (instance_id, is_archived, last_message_at DESC NULLS LAST, id DESC)`.execute(db)
  } else {
    await db.schema
      .createIndex('conversations_tenant_inbox_idx')
      .on('conversations')
      .columns(['tenant_id', 'is_archived', 'last_message_at', 'id'])
      .execute()
    await db.schema
      .createIndex('conversations_instance_inbox_idx')
      .on('conversations')
      .columns(['instance_id', 'is_archived', 'last_message_at', 'id'])
      .execute()
  }
  await db.schema.createIndex('conversations_contact_idx').on('conversations').column('contact_id').execute()
  // Contacts listed per instance (sk_ tokens, instance_id filter), newest first.
  await db.schema.createIndex('contacts_instance_idx').on('contacts').columns(['instance_id', 'id']).execute()

  // Searching "any part of a name or number" is a substring match; a trigram index answers it
  // without reading every row. The application keeps `search_text` (names and number, folded to
  // lower case without accents) up to date; rows that exist now get an approximation here.
  for (const table of SEARCHED) {
    await db.schema.alterTable(table).addColumn('search_text', 'text').execute()
  }
  await sql`UPDATE contacts SET search_text = lower(concat_ws(' ', name, display_name, first_name,
    last_name, push_name, phone_number, email, company))`.execute(db)
  await sql`UPDATE conversations SET search_text = lower(concat_ws(' ', name,
    (SELECT concat_ws(' ', k.name, k.display_name, k.first_name, k.last_name, k.push_name, k.phone_number)
      FROM contacts k WHERE k.id = conversations.contact_id), chat_jid))`.execute(db)
  if (isPostgres(db)) {
    // pg_trgm is a trusted extension (PostgreSQL 13+); where it can't be had, searches still work by scanning.
    await sql`DO $$ BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available: searches will scan';
    END $$`.execute(db)
    for (const table of SEARCHED) {
      await sql`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
          EXECUTE 'CREATE INDEX ${sql.raw(table)}_search_idx ON ${sql.raw(table)} USING gin (search_text gin_trgm_ops)';
        END IF;
      END $$`.execute(db)
    }
  } else {
    for (const table of SEARCHED) {
      const fts = sql.raw(`${table}_fts`)
      const name = sql.raw(table)
      await sql`CREATE VIRTUAL TABLE ${fts} USING fts5(search_text, content='${name}', content_rowid='id', tokenize='trigram')`.execute(
        db,
      )
      await sql`INSERT INTO ${fts}(rowid, search_text) SELECT id, search_text FROM ${name}`.execute(db)
      await sql`CREATE TRIGGER ${sql.raw(`${table}_fts_insert`)} AFTER INSERT ON ${name} BEGIN
        INSERT INTO ${fts}(rowid, search_text) VALUES (new.id, new.search_text);
      END`.execute(db)
      await sql`CREATE TRIGGER ${sql.raw(`${table}_fts_delete`)} AFTER DELETE ON ${name} BEGIN
        INSERT INTO ${fts}(${fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
      END`.execute(db)
      await sql`CREATE TRIGGER ${sql.raw(`${table}_fts_update`)} AFTER UPDATE OF search_text ON ${name} BEGIN
        INSERT INTO ${fts}(${fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO ${fts}(rowid, search_text) VALUES (new.id, new.search_text);
      END`.execute(db)
    }
  }
}

const SEARCHED = ['contacts', 'conversations'] as const

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of SEARCHED) {
    if (isPostgres(db)) {
      await sql`DROP INDEX IF EXISTS ${sql.raw(`${table}_search_idx`)}`.execute(db)
    } else {
      for (const trigger of ['update', 'delete', 'insert']) {
        await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${table}_fts_${trigger}`)}`.execute(db)
      }
      await sql`DROP TABLE IF EXISTS ${sql.raw(`${table}_fts`)}`.execute(db)
    }
    await db.schema.alterTable(table).dropColumn('search_text').execute()
  }
  for (const index of [
    'contacts_instance_idx',
    'conversations_contact_idx',
    'conversations_instance_inbox_idx',
    'conversations_tenant_inbox_idx',
  ]) {
    await db.schema.dropIndex(index).execute()
  }
  await db.schema.dropTable('conversation_tags').execute()
  await db.schema.dropTable('tags').execute()
}
