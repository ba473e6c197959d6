import type { Kysely } from 'kysely'
import { jsonType, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  const tenant = (c: any) => c.notNull().references('tenants.id').onDelete('cascade')

  // The tenant's OpenAI-compatible provider; the key is sealed with the app key.
  await db.schema
    .createTable('tenant_ai_settings')
    .addColumn('tenant_id', 'integer', (c) => tenant(c).primaryKey())
    .addColumn('base_url', 'varchar(500)', (c) => c.notNull())
    .addColumn('api_key', 'text', (c) => c.notNull())
    .addColumn('model', 'varchar(200)', (c) => c.notNull())
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('kanban_boards'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('currency', 'varchar(3)', (c) => c.notNull()),
  ).execute()
  await db.schema
    .createIndex('kanban_boards_tenant_idx')
    .on('kanban_boards')
    .columns(['tenant_id', 'id'])
    .execute()

  // No unique (board, position): shifting positions row by row would trip it midway. Writers
  // take the board's or the column's row lock instead, which keeps positions dense.
  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('kanban_columns'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('board_id', 'integer', (c) => c.notNull().references('kanban_boards.id').onDelete('cascade'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('color', 'varchar(7)')
      .addColumn('position', 'integer', (c) => c.notNull()),
  ).execute()
  await db.schema
    .createIndex('kanban_columns_board_idx')
    .on('kanban_columns')
    .columns(['board_id', 'position'])
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('kanban_leads'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('board_id', 'integer', (c) => c.notNull().references('kanban_boards.id').onDelete('cascade'))
      .addColumn('column_id', 'integer', (c) => c.notNull().references('kanban_columns.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('title', 'varchar(255)', (c) => c.notNull())
      // Money in cents: sums stay exact on both databases.
      .addColumn('value_cents', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('currency', 'varchar(3)', (c) => c.notNull())
      .addColumn('notes', 'text')
      .addColumn('custom_fields', jsonType(db))
      .addColumn('status', 'varchar(10)', (c) => c.notNull())
      .addColumn('contact_id', 'integer', (c) => c.references('contacts.id').onDelete('set null'))
      .addColumn('conversation_id', 'integer', (c) => c.references('conversations.id').onDelete('set null'))
      .addColumn('won_at', ts)
      .addColumn('lost_at', ts)
      .addColumn('lost_reason', 'text')
      .addColumn('ai_score', 'integer')
      .addColumn('ai_temperature', 'varchar(10)')
      .addColumn('ai_summary', 'text')
      .addColumn('ai_next_action', 'text')
      .addColumn('ai_model', 'varchar(200)')
      .addColumn('ai_qualified_at', ts)
      .addColumn('created_by', 'varchar(255)'),
  ).execute()
  await db.schema
    .createIndex('kanban_leads_column_idx')
    .on('kanban_leads')
    .columns(['column_id', 'position'])
    .execute()
  await db.schema
    .createIndex('kanban_leads_board_idx')
    .on('kanban_leads')
    .columns(['board_id', 'status'])
    .execute()
  await db.schema.createIndex('kanban_leads_contact_idx').on('kanban_leads').column('contact_id').execute()
  await db.schema
    .createIndex('kanban_leads_conversation_idx')
    .on('kanban_leads')
    .column('conversation_id')
    .execute()

  // Tags as rows, so that filtering by one is the same portable query on both databases.
  await db.schema
    .createTable('kanban_lead_tags')
    .addColumn('lead_id', 'integer', (c) => c.notNull().references('kanban_leads.id').onDelete('cascade'))
    .addColumn('tag', 'varchar(50)', (c) => c.notNull())
    .addColumn('tag_key', 'varchar(50)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('kanban_lead_tags_pk', ['lead_id', 'tag_key'])
    .execute()
  await db.schema
    .createIndex('kanban_lead_tags_key_idx')
    .on('kanban_lead_tags')
    .columns(['tag_key', 'lead_id'])
    .execute()

  await withIds(db, db.schema.createTable('kanban_activities'))
    .addColumn('tenant_id', 'integer', tenant)
    .addColumn('lead_id', 'integer', (c) => c.notNull().references('kanban_leads.id').onDelete('cascade'))
    .addColumn('type', 'varchar(30)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('data', jsonType(db))
    .addColumn('actor', 'varchar(255)')
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('kanban_activities_lead_idx')
    .on('kanban_activities')
    .columns(['lead_id', 'id'])
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('calendar_appointments'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('contact_id', 'integer', (c) => c.references('contacts.id').onDelete('set null'))
      .addColumn('instance_id', 'integer', (c) => c.references('instances.id').onDelete('set null'))
      .addColumn('lead_id', 'integer', (c) => c.references('kanban_leads.id').onDelete('set null'))
      .addColumn('title', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('location', 'varchar(500)')
      .addColumn('starts_at', ts, (c) => c.notNull())
      .addColumn('ends_at', ts, (c) => c.notNull())
      .addColumn('timezone', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(12)', (c) => c.notNull())
      .addColumn('confirmed_at', ts)
      .addColumn('completed_at', ts)
      .addColumn('cancelled_at', ts)
      .addColumn('cancel_reason', 'text')
      .addColumn('reminder_minutes_before', 'integer')
      .addColumn('reminder_message', 'text')
      .addColumn('reminder_message_id', 'integer', (c) => c.references('messages.id').onDelete('set null'))
      .addColumn('reminder_error', 'text')
      .addColumn('created_by', 'varchar(255)'),
  ).execute()
  await db.schema
    .createIndex('calendar_appointments_tenant_start_idx')
    .on('calendar_appointments')
    .columns(['tenant_id', 'starts_at'])
    .execute()
  await db.schema
    .createIndex('calendar_appointments_contact_idx')
    .on('calendar_appointments')
    .column('contact_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'calendar_appointments',
    'kanban_activities',
    'kanban_lead_tags',
    'kanban_leads',
    'kanban_columns',
    'kanban_boards',
    'tenant_ai_settings',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
