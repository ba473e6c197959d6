import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'

type Db = Kysely<DB>

/**
 * Creates the contact of a WhatsApp number if it is new, and refreshes what WhatsApp tells of it
 * (push name, JID, LID) without touching what a user typed in (name, e-mail, notes…).
 */
export async function upsertFromWhatsApp(
  db: Db,
  row: {
    uuid: string
    tenant_id: number
    instance_id: number
    phone_number: string
    jid: string | null
    lid: string | null
    push_name: string | null
    at: string
  },
): Promise<number> {
  const { at, ...values } = row
  const refresh = {
    updated_at: at,
    ...(row.push_name ? { push_name: row.push_name } : {}),
    ...(row.jid ? { jid: row.jid } : {}),
    ...(row.lid ? { lid: row.lid } : {}),
  }
  const inserted = await db
    .insertInto('contacts')
    .values({ ...values, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['instance_id', 'phone_number']).doUpdateSet(refresh))
    .returning('id')
    .executeTakeFirstOrThrow()
  return inserted.id
}

export async function findContactByPhone(db: Db, instanceId: number, phone: string) {
  return db
    .selectFrom('contacts')
    .select(['id', 'uuid', 'name', 'display_name', 'push_name', 'first_name', 'last_name', 'phone_number'])
    .where('instance_id', '=', instanceId)
    .where('phone_number', '=', phone)
    .executeTakeFirst()
}

export async function findContact(db: Db, tenantId: number, ref: EntityRef) {
  const query = db
    .selectFrom('contacts')
    .select(['id', 'uuid', 'instance_id', 'phone_number'])
    .where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}
