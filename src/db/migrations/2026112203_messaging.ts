import { type Kysely, sql } from 'kysely'
import { boolType, isPostgres, jsonType, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  const tenant = (c: any) => c.notNull().references('tenants.id').onDelete('cascade')
  const instance = (c: any) => c.notNull().references('instances.id').onDelete('cascade')

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('contacts'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', instance)
      .addColumn('phone_number', 'varchar(32)', (c) => c.notNull())
      .addColumn('jid', 'varchar(128)')
      .addColumn('lid', 'varchar(64)')
      .addColumn('name', 'varchar(255)')
      .addColumn('first_name', 'varchar(255)')
      .addColumn('last_name', 'varchar(255)')
      .addColumn('display_name', 'varchar(255)')
      .addColumn('push_name', 'varchar(255)')
      .addColumn('email', 'varchar(255)')
      .addColumn('company', 'varchar(255)')
      .addColumn('job_title', 'varchar(255)')
      .addColumn('notes', 'text')
      .addColumn('custom_fields', jsonType(db))
      .addColumn('profile_picture_url', 'text'),
  ).execute()
  await db.schema
    .createIndex('contacts_instance_phone_uq')
    .on('contacts')
    .columns(['instance_id', 'phone_number'])
    .unique()
    .execute()
  await db.schema.createIndex('contacts_tenant_idx').on('contacts').columns(['tenant_id', 'id']).execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('conversations'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', instance)
      .addColumn('contact_id', 'integer', (c) => c.references('contacts.id').onDelete('set null'))
      .addColumn('chat_jid', 'varchar(128)', (c) => c.notNull())
      .addColumn('is_group', boolType(db), (c) => c.notNull().defaultTo(false))
      .addColumn('name', 'varchar(255)')
      .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_archived', boolType(db), (c) => c.notNull().defaultTo(false))
      .addColumn('archived_at', ts)
      .addColumn('last_message_id', 'integer')
      .addColumn('last_message_preview', 'varchar(255)')
      .addColumn('last_message_at', ts)
      .addColumn('automation_paused', boolType(db), (c) => c.notNull().defaultTo(false))
      .addColumn('paused_at', ts)
      .addColumn('paused_by', 'varchar(255)')
      .addColumn('pause_reason', 'varchar(255)')
      .addColumn('resumed_at', ts),
  ).execute()
  await db.schema
    .createIndex('conversations_instance_chat_uq')
    .on('conversations')
    .columns(['instance_id', 'chat_jid'])
    .unique()
    .execute()
  await db.schema
    .createIndex('conversations_tenant_activity_idx')
    .on('conversations')
    .columns(['tenant_id', 'is_archived', 'last_message_at'])
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('messages'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', instance)
      .addColumn('conversation_id', 'integer', (c) => c.references('conversations.id').onDelete('cascade'))
      .addColumn('whatsapp_message_id', 'varchar(128)')
      .addColumn('direction', 'varchar(10)', (c) => c.notNull())
      .addColumn('chat_jid', 'varchar(128)', (c) => c.notNull())
      .addColumn('sender_jid', 'varchar(128)')
      .addColumn('sender_number', 'varchar(32)')
      .addColumn('sender_name', 'varchar(255)')
      .addColumn('recipient_number', 'varchar(32)')
      .addColumn('type', 'varchar(20)', (c) => c.notNull())
      .addColumn('body', 'text')
      .addColumn('caption', 'text')
      .addColumn('media_id', 'integer')
      .addColumn('media_url', 'text')
      .addColumn('media_mime', 'varchar(255)')
      .addColumn('media_file_name', 'varchar(255)')
      .addColumn('media_size', 'integer')
      .addColumn('media_path', 'varchar(512)')
      .addColumn('quoted_message_id', 'varchar(128)')
      .addColumn('mentions', jsonType(db))
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('error_code', 'varchar(64)')
      .addColumn('error_message', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('expires_at', ts)
      .addColumn('scheduled_at', ts)
      .addColumn('sent_at', ts)
      .addColumn('delivered_at', ts)
      .addColumn('read_at', ts)
      .addColumn('played_at', ts)
      .addColumn('failed_at', ts)
      .addColumn('edited_at', ts)
      .addColumn('deleted_at', ts)
      .addColumn('is_placeholder', boolType(db), (c) => c.notNull().defaultTo(false))
      .addColumn('source', 'varchar(20)', (c) => c.notNull().defaultTo('api'))
      .addColumn('created_by', 'varchar(255)'),
  ).execute()
  await db.schema
    .createIndex('messages_instance_wa_uq')
    .on('messages')
    .columns(['instance_id', 'whatsapp_message_id'])
    .unique()
    .execute()
  // The sender's queue: the oldest due message of an instance first.
  await db.schema
    .createIndex('messages_queue_idx')
    .on('messages')
    .columns(['instance_id', 'status', 'next_attempt_at', 'id'])
    .execute()
  await db.schema
    .createIndex('messages_status_idx')
    .on('messages')
    .columns(['status', 'instance_id'])
    .execute()
  await db.schema
    .createIndex('messages_conversation_idx')
    .on('messages')
    .columns(['conversation_id', 'id'])
    .execute()
  await db.schema.createIndex('messages_tenant_idx').on('messages').columns(['tenant_id', 'id']).execute()
  // The daily quota counts an instance's outgoing messages of the day.
  await db.schema
    .createIndex('messages_quota_idx')
    .on('messages')
    .columns(['instance_id', 'direction', 'created_at'])
    .execute()

  await db.schema
    .createTable('message_reactions')
    .addColumn('message_id', 'integer', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('reactor_jid', 'varchar(128)', (c) => c.notNull())
    .addColumn('reactor_number', 'varchar(32)')
    .addColumn('emoji', 'varchar(32)', (c) => c.notNull())
    .addColumn('from_me', boolType(db), (c) => c.notNull().defaultTo(false))
    .addColumn('reacted_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('message_reactions_pk', ['message_id', 'reactor_jid'])
    .execute()

  // Full-text search on message text: FTS5 in SQLite, a generated tsvector in PostgreSQL.
  if (isPostgres(db)) {
    // Accents are folded with translate() (immutable, unlike unaccent) so that "ola" finds "Olá".
    await sql`ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS
      (to_tsvector('simple', translate(lower(coalesce(body, '') || ' ' || coalesce(caption, '')),
        'áàâãäåéèêëíìîïóòôõöúùûüçñý', 'aaaaaaeeeeiiiiooooouuuucny'))) STORED`.execute(db)
    await sql`CREATE INDEX messages_search_idx ON messages USING gin (search)`.execute(db)
  } else {
    await sql`CREATE VIRTUAL TABLE messages_fts USING fts5(body, caption, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(
      db,
    )
    await sql`CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
      INSERT INTO messages_fts(rowid, body, caption) VALUES (new.id, new.body, new.caption);
    END`.execute(db)
    await sql`CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, body, caption) VALUES ('delete', old.id, old.body, old.caption);
    END`.execute(db)
    await sql`CREATE TRIGGER messages_fts_update AFTER UPDATE OF body, caption ON messages BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, body, caption) VALUES ('delete', old.id, old.body, old.caption);
      INSERT INTO messages_fts(rowid, body, caption) VALUES (new.id, new.body, new.caption);
    END`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) {
    for (const trigger of ['messages_fts_update', 'messages_fts_delete', 'messages_fts_insert']) {
      await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db)
    }
    await sql`DROP TABLE IF EXISTS messages_fts`.execute(db)
  }
  for (const table of ['message_reactions', 'messages', 'conversations', 'contacts']) {
    await db.schema.dropTable(table).execute()
  }
}
