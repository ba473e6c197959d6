import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PostgresAdapter,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
  type ValueNode,
} from 'kysely'

/**
 * The few places where SQLite and PostgreSQL differ, kept together.
 *
 * Booleans: PostgreSQL has them, SQLite stores 0/1 and better-sqlite3 refuses to bind `true`.
 * The plugin below turns bound booleans into 0/1; readers go through `bool()`.
 * JSON: `jsonb` in PostgreSQL (parsed by the driver), text in SQLite; readers go through `parseJson()`.
 */
export function bool(value: boolean | number | null | undefined): boolean {
  return value === true || value === 1
}

export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback
  if (typeof value !== 'string') return value as T
  try {
    return JSON.parse(value) as T
  } catch {
    return fallback
  }
}

export function toJson(value: unknown): string {
  return JSON.stringify(value)
}

class BooleanToInteger extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = node.value
    return typeof value === 'boolean' ? { ...node, value: value ? 1 : 0 } : node
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return { ...node, values: node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)) }
  }
}

export class SqliteBooleanPlugin implements KyselyPlugin {
  readonly #transformer = new BooleanToInteger()

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node)
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** Whether a Kysely instance (or transaction) talks to PostgreSQL. */
export function isPostgres(db: { getExecutor(): { adapter: unknown } }): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * A full-text condition on messages: FTS5 in SQLite (words as prefixes, accents folded),
 * the generated tsvector in PostgreSQL. Answers a raw SQL condition for `where`.
 */
export function messageSearch(db: { getExecutor(): { adapter: unknown } }, text: string) {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu)
  if (!words?.length) return null
  if (isPostgres(db)) {
    const query = words.map((w) => `${w}:*`).join(' & ')
    return sql<boolean>`messages.search @@ to_tsquery('simple', ${query})`
  }
  const query = words.map((w) => `"${w}"*`).join(' ')
  return sql<boolean>`messages.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${query})`
}

export type SqlType = 'integer' | 'text' | 'timestamptz'

/**
 * A bound value with its SQL type, for the places where PostgreSQL cannot infer it from a column
 * (the rows of a `VALUES` list, which it would otherwise take as text). SQLite needs no type
 * there, and its casts would change the value (a timestamp cast to a number), so it gets none.
 */
export function typed(
  db: { getExecutor(): { adapter: unknown } },
  value: string | number | null,
  type: SqlType,
) {
  return isPostgres(db) ? sql`cast(${value} as ${sql.raw(type)})` : sql`${value}`
}

/**
 * Rows of values as a `VALUES` list with the columns' types, for a `WITH v (…) AS (VALUES …)`
 * that updates many rows in one statement (`UPDATE … FROM v`, which both databases run).
 */
export function valuesList(
  db: { getExecutor(): { adapter: unknown } },
  types: SqlType[],
  rows: (string | number | null)[][],
) {
  return sql`VALUES ${sql.join(rows.map((row) => sql`(${sql.join(row.map((value, i) => typed(db, value, types[i]!)))})`))}`
}
