import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  PostgresAdapter,
  sql,
} from 'kysely'

// Frozen helpers for migrations only: they never import application code, so an old migration
// keeps producing the same schema whatever the application becomes.

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

export function timestampType(db: Kysely<any>) {
  return isPostgres(db) ? sql`timestamptz` : sql`text`
}

export function jsonType(db: Kysely<any>) {
  return isPostgres(db) ? sql`jsonb` : sql`text`
}

export function boolType(db: Kysely<any>) {
  return isPostgres(db) ? sql`boolean` : sql`integer`
}

/** Integer primary key plus the public UUID every entity carries. */
export function withIds<T extends string>(db: Kysely<any>, table: CreateTableBuilder<T, never>) {
  const id = isPostgres(db)
    ? (c: ColumnDefinitionBuilder) => c.primaryKey().generatedByDefaultAsIdentity()
    : (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()
  return table.addColumn('id', 'integer', id).addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
}

export function withTimestamps<T extends string, C extends string>(
  db: Kysely<any>,
  table: CreateTableBuilder<T, C>,
) {
  return table
    .addColumn('created_at', timestampType(db), (c) => c.notNull())
    .addColumn('updated_at', timestampType(db), (c) => c.notNull())
}
