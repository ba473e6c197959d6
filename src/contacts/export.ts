import { csvRow } from './csv.js'
import type { ContactView } from './fields.js'

const CSV_COLUMNS = [
  'id',
  'uuid',
  'instance_id',
  'phone_number',
  'name',
  'first_name',
  'last_name',
  'display_name',
  'push_name',
  'email',
  'company',
  'job_title',
  'notes',
  'custom_fields',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ContactView)[]

/** The export as CSV text, one record at a time (the rows come page by page from the database). */
export async function* csvExport(rows: AsyncIterable<ContactView>): AsyncGenerator<string> {
  yield csvRow([...CSV_COLUMNS])
  for await (const row of rows) yield csvRow(CSV_COLUMNS.map((column) => row[column]))
}

/** The export as the JSON envelope `{success, data: [...]}`, written as the rows come. */
export async function* jsonExport(rows: AsyncIterable<ContactView>): AsyncGenerator<string> {
  yield '{"success":true,"data":['
  let first = true
  for await (const row of rows) {
    yield (first ? '' : ',') + JSON.stringify(row)
    first = false
  }
  yield ']}'
}

/** Joins small pieces into chunks of about `size` characters, so that a write carries many rows. */
export async function* chunked(pieces: AsyncIterable<string>, size = 64 * 1024): AsyncGenerator<string> {
  let buffer = ''
  for await (const piece of pieces) {
    buffer += piece
    if (buffer.length >= size) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer) yield buffer
}
