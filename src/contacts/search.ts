import { type RawBuilder, sql } from 'kysely'
import { isPostgres } from '../db/dialect.js'

/** Lower case without accents, so that "joao" finds "João" on both databases alike. */
function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
}

/** The `search_text` of a row: its names and numbers, folded, in one line. */
export function searchText(...parts: (string | null | undefined)[]): string {
  return fold(parts.filter((part) => part?.trim()).join(' '))
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * A search term as `search_text` holds it: folded, without LIKE wildcards; a phone number in any
 * spelling (+55 (11) 9999-0000) becomes its digits. Null when nothing is left to look for.
 */
export function searchTerm(input: string | undefined): string | null {
  if (!input) return null
  const trimmed = input.trim()
  if (/^[+\d\s().-]+$/.test(trimmed) && /\d/.test(trimmed)) return trimmed.replace(/\D/g, '')
  const term = fold(trimmed)
    .replace(/[%_\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return term || null
}

/**
 * `search_text` contains the term: through the trigram FTS5 table in SQLite, through the pg_trgm
 * index in PostgreSQL (both answer substring matches without reading every row).
 */
export function searchCondition(
  db: { getExecutor(): { adapter: unknown } },
  table: 'contacts' | 'conversations',
  term: string,
): RawBuilder<boolean> {
  const pattern = `%${term}%`
  if (isPostgres(db)) return sql<boolean>`${sql.ref(`${table}.search_text`)} LIKE ${pattern}`
  return sql<boolean>`${sql.ref(`${table}.id`)} IN (SELECT rowid FROM ${sql.table(`${table}_fts`)} WHERE search_text LIKE ${pattern})`
}
