import { type Insertable, type Kysely, sql, type Updateable } from 'kysely'
import { valuesList } from '../db/dialect.js'
import { preparedRows } from '../db/prepared.js'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import { searchCondition } from './search.js'
import type { ContactsTable } from './table.js'

type Db = Kysely<DB>

const COLUMNS = [
  'contacts.id',
  'contacts.uuid',
  'contacts.tenant_id',
  'contacts.instance_id',
  'contacts.phone_number',
  'contacts.jid',
  'contacts.lid',
  'contacts.name',
  'contacts.first_name',
  'contacts.last_name',
  'contacts.display_name',
  'contacts.push_name',
  'contacts.email',
  'contacts.company',
  'contacts.job_title',
  'contacts.notes',
  'contacts.custom_fields',
  'contacts.profile_picture_url',
  'contacts.search_text',
  'contacts.created_at',
  'contacts.updated_at',
] as const

export type ContactRow = Awaited<ReturnType<typeof findContactById>> & {}

/** What WhatsApp tells of a number: the contact is created from it, or refreshed with it. */
export interface SeenContact {
  uuid: string
  tenant_id: number
  instance_id: number
  phone_number: string
  jid: string | null
  lid: string | null
  push_name: string | null
  /** The search text of the contact if it is new (one that exists keeps its own). */
  search_text: string
  at: string
}

/** Columns a contact's search text is made of, with its id. */
const SEARCH_COLUMNS = [
  'id',
  'tenant_id',
  'phone_number',
  'name',
  'first_name',
  'last_name',
  'display_name',
  'push_name',
  'email',
  'company',
  'search_text',
] as const

/** Rows per statement: well under the bound-parameter limits of both databases. */
const CHUNK = 500

/**
 * Creates the contacts of WhatsApp numbers that are new, and refreshes what WhatsApp tells of the
 * others (push name, JID, LID, whichever it tells) without touching what a user typed in (name,
 * e-mail, notes…) nor their search text; one statement for many numbers, each number at most
 * once. Answers the rows as they are now, with what their search text is made of.
 */
export async function upsertManyFromWhatsApp(db: Db, rows: SeenContact[]) {
  const result = []
  for (let i = 0; i < rows.length; i += CHUNK) {
    result.push(...(await upsertSeen(db, rows.slice(i, i + CHUNK))))
  }
  return result
}

const upsertSeen = preparedRows(
  ['uuid', 'tenant_id', 'instance_id', 'phone_number', 'jid', 'lid', 'push_name', 'search_text', 'at'],
  (db, rows) => {
    // An empty push name tells nothing, like a missing one.
    const told = (column: 'push_name' | 'jid' | 'lid') =>
      sql<
        string | null
      >`coalesce(nullif(${sql.ref(`excluded.${column}`)}, ''), ${sql.ref(`contacts.${column}`)})`
    return db
      .insertInto('contacts')
      .values(rows.map(({ at, ...row }) => ({ ...row, created_at: at, updated_at: at })) as never)
      .onConflict((oc) =>
        oc.columns(['instance_id', 'phone_number']).doUpdateSet((eb) => ({
          updated_at: eb.ref('excluded.updated_at'),
          push_name: told('push_name'),
          jid: told('jid'),
          lid: told('lid'),
        })),
      )
      .returning(SEARCH_COLUMNS)
  },
)

/** Writes the search text of contacts of the tenant, in one statement. */
export async function setSearchTexts(db: Db, tenantId: number, texts: [id: number, text: string][]) {
  for (let i = 0; i < texts.length; i += CHUNK) {
    const values = valuesList(db, ['integer', 'text'], texts.slice(i, i + CHUNK))
    await sql`WITH v (id, search_text) AS (${values})
      UPDATE contacts SET search_text = v.search_text
      FROM v WHERE contacts.id = v.id AND contacts.tenant_id = ${tenantId}`.execute(db)
  }
}

export async function findContactByPhone(db: Db, instanceId: number, phone: string) {
  return db
    .selectFrom('contacts')
    .select(['id', 'uuid', 'name', 'display_name', 'push_name', 'first_name', 'last_name', 'phone_number'])
    .where('instance_id', '=', instanceId)
    .where('phone_number', '=', phone)
    .executeTakeFirst()
}

/** The names of an instance's contacts by phone number or LID, for mentions and reactions. */
export async function findNamesOf(db: Db, instanceId: number, phones: string[], lids: string[]) {
  if (phones.length === 0 && lids.length === 0) return []
  return db
    .selectFrom('contacts')
    .select(['phone_number', 'lid', 'name', 'display_name', 'push_name', 'first_name', 'last_name'])
    .where('instance_id', '=', instanceId)
    .where((eb) =>
      eb.or([
        ...(phones.length ? [eb('phone_number', 'in', phones)] : []),
        ...(lids.length ? [eb('lid', 'in', lids)] : []),
      ]),
    )
    .execute()
}

export async function findContact(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('contacts').select(COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findContactById(db: Db, id: number) {
  return db.selectFrom('contacts').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function phoneTaken(db: Db, instanceId: number, phone: string, exceptId?: number) {
  let query = db
    .selectFrom('contacts')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('phone_number', '=', phone)
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
  return (await query.executeTakeFirst()) !== undefined
}

/** Which of these numbers already have a contact in the instance. */
export async function existingPhones(db: Db, instanceId: number, phones: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (let i = 0; i < phones.length; i += 500) {
    const rows = await db
      .selectFrom('contacts')
      .select('phone_number')
      .where('instance_id', '=', instanceId)
      .where('phone_number', 'in', phones.slice(i, i + 500))
      .execute()
    for (const row of rows) found.add(row.phone_number)
  }
  return found
}

export async function insertContacts(
  db: Db,
  rows: Insertable<ContactsTable>[],
): Promise<{ id: number; phone_number: string }[]> {
  const ids: { id: number; phone_number: string }[] = []
  // Bounded statements: SQLite limits the number of bound values per statement.
  for (let i = 0; i < rows.length; i += 200) {
    const inserted = await db
      .insertInto('contacts')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['instance_id', 'phone_number']).doNothing())
      .returning(['id', 'phone_number'])
      .execute()
    ids.push(...inserted)
  }
  return ids
}

export async function updateContact(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<ContactsTable>,
): Promise<void> {
  await db.updateTable('contacts').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export async function deleteContact(db: Db, tenantId: number, id: number): Promise<void> {
  await db.deleteFrom('contacts').where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export interface ContactFilter {
  instanceId: number | null
  search: string | null
  sort: 'created_at' | 'updated_at' | 'name' | 'phone_number' | 'email' | 'company'
  dir: 'asc' | 'desc'
}

function filtered(db: Db, tenantId: number, filter: Omit<ContactFilter, 'sort' | 'dir'>) {
  let query = db.selectFrom('contacts').where('contacts.tenant_id', '=', tenantId)
  if (filter.instanceId !== null) query = query.where('contacts.instance_id', '=', filter.instanceId)
  if (filter.search) query = query.where(searchCondition(db, 'contacts', filter.search))
  return query
}

export async function listContacts(
  db: Db,
  tenantId: number,
  filter: ContactFilter,
  page: { limit: number; offset: number },
) {
  const query = filtered(db, tenantId, filter)
  // Creation order is id order; the id breaks ties of every other sort so that pages are stable.
  const ordered =
    filter.sort === 'created_at'
      ? query.orderBy('contacts.id', filter.dir)
      : query
          // Empty values last in both directions, and alike on both databases.
          .orderBy(`contacts.${filter.sort}`, (ob) =>
            (filter.dir === 'asc' ? ob.asc() : ob.desc()).nullsLast(),
          )
          .orderBy('contacts.id', filter.dir)
  const [rows, total] = await Promise.all([
    ordered.select(COLUMNS).limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(total.count) }
}

/** One page of an export, in id order after `afterId` (keyset: steady cost however deep). */
export async function exportPage(
  db: Db,
  tenantId: number,
  filter: { instanceId: number | null },
  afterId: number,
  limit: number,
) {
  return filtered(db, tenantId, { ...filter, search: null })
    .select(COLUMNS)
    .where('contacts.id', '>', afterId)
    .orderBy('contacts.id')
    .limit(limit)
    .execute()
}
