import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { MESSAGE_COLUMNS } from './repository.js'

// The statements that store many incoming events at once (see ingestion.ts).

type Db = Kysely<DB>

/** Rows or values per statement: well under the bound-parameter limits of both databases. */
const CHUNK = 500

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The instance's messages with these WhatsApp ids, by WhatsApp id. */
export async function findByWhatsappIds(db: Db, instanceId: number, whatsappIds: string[]) {
  const found = new Map<string, Awaited<ReturnType<typeof findChunk>>[number]>()
  for (const ids of chunks([...new Set(whatsappIds)])) {
    for (const row of await findChunk(db, instanceId, ids)) found.set(row.whatsapp_message_id!, row)
  }
  return found
}

function findChunk(db: Db, instanceId: number, whatsappIds: string[]) {
  return db
    .selectFrom('messages')
    .select(MESSAGE_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('whatsapp_message_id', 'in', whatsappIds)
    .execute()
}

/** The phone numbers behind LIDs (`…@lid`, without device) that the instance has learnt. */
export async function phonesOfLids(db: Db, instanceId: number, lids: string[]): Promise<Map<string, string>> {
  const phones = new Map<string, string>()
  for (const chunk of chunks([...new Set(lids)])) {
    const rows = await db
      .selectFrom('lid_mappings')
      .select(['lid', 'phone'])
      .where('instance_id', '=', instanceId)
      .where('lid', 'in', chunk)
      .execute()
    for (const row of rows) phones.set(row.lid, row.phone)
  }
  return phones
}
