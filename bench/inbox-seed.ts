// Seeds one tenant's inbox straight through Kysely: batched multi-row inserts, one transaction per
// chunk, so that a million messages go in within a minute or two on either database.
import type { Insertable, Kysely } from 'kysely'
import { searchText } from '../src/contacts/search.js'
import type { DB } from '../src/db/schema.js'
import { newUuid } from '../src/lib/ids.js'
import type { MessagesTable } from '../src/messages/table.js'

export interface SeedOptions {
  conversations: number
  messages: number
  /** Messages of the one long conversation the history benchmark pages through. */
  longConversation: number
  tags: number
}

export interface Seeded {
  instanceId: number
  tagUuids: string[]
  longConversationUuid: string
  /** A name that a handful of contacts carry, for the search benchmark. */
  rareName: string
}

const FIRST = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elisa', 'Felipe', 'Gabi', 'Hugo', 'Iris', 'João']
const LAST = ['Silva', 'Souza', 'Costa', 'Lima', 'Alves', 'Rocha', 'Dias', 'Melo', 'Pires', 'Nunes']
const ROWS_PER_INSERT = 500
const ROWS_PER_TRANSACTION = 20_000

async function insertChunked<T>(
  db: Kysely<DB>,
  total: number,
  make: (index: number) => T,
  insert: (trx: Kysely<DB>, rows: T[]) => Promise<{ id: number }[] | unknown>,
): Promise<number[]> {
  const ids: number[] = []
  for (let start = 0; start < total; start += ROWS_PER_TRANSACTION) {
    const end = Math.min(total, start + ROWS_PER_TRANSACTION)
    await db.transaction().execute(async (trx) => {
      for (let from = start; from < end; from += ROWS_PER_INSERT) {
        const rows: T[] = []
        for (let i = from; i < Math.min(end, from + ROWS_PER_INSERT); i++) rows.push(make(i))
        const inserted = await insert(trx, rows)
        if (Array.isArray(inserted)) for (const row of inserted) ids.push((row as { id: number }).id)
      }
    })
  }
  return ids
}

export async function seedInbox(db: Kysely<DB>, tenantId: number, options: SeedOptions): Promise<Seeded> {
  const base = Date.parse('2026-01-01T00:00:00Z')
  const iso = (ms: number) => new Date(ms).toISOString()
  const at = iso(base)
  const { id: instanceId } = await db
    .insertInto('instances')
    .values({
      uuid: newUuid(),
      tenant_id: tenantId,
      name: 'Bench',
      engine: 'sandbox',
      status: 'disconnected',
      phone_number: '5511900000000',
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()

  const tagIds: number[] = []
  const tagUuids: string[] = []
  for (let t = 0; t < options.tags; t++) {
    const uuid = newUuid()
    const { id } = await db
      .insertInto('tags')
      .values({
        uuid,
        tenant_id: tenantId,
        name: `Tag ${t}`,
        name_key: `tag ${t}`,
        color: '#3b82f6',
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    tagIds.push(id)
    tagUuids.push(uuid)
  }

  const phone = (i: number) => `55119${String(10_000_000 + i).padStart(8, '0')}`
  const rareName = 'Zuleika'
  const nameOf = (i: number) =>
    i % 10_000 === 7 ? `${rareName} ${LAST[i % 10]}` : `${FIRST[i % 10]} ${LAST[((i / 10) % 10) | 0]}`
  const pushNameOf = (i: number) => FIRST[(i * 7) % 10]!
  // What the contact and conversation services keep in `search_text`: names and number, folded.
  const searchOf = (i: number) => searchText(nameOf(i), pushNameOf(i), phone(i))
  const contactIds = await insertChunked(
    db,
    options.conversations,
    (i) => ({
      uuid: newUuid(),
      tenant_id: tenantId,
      instance_id: instanceId,
      phone_number: phone(i),
      jid: `${phone(i)}@s.whatsapp.net`,
      name: nameOf(i),
      push_name: pushNameOf(i),
      search_text: searchOf(i),
      created_at: at,
      updated_at: at,
    }),
    (trx, rows) => trx.insertInto('contacts').values(rows).returning('id').execute(),
  )

  // Conversation i's last activity is base + i minutes; the long one (index 0) is the oldest.
  const longUuid = newUuid()
  const conversationIds = await insertChunked(
    db,
    options.conversations,
    (i) => ({
      uuid: i === 0 ? longUuid : newUuid(),
      tenant_id: tenantId,
      instance_id: instanceId,
      contact_id: contactIds[i]!,
      chat_jid: `${phone(i)}@s.whatsapp.net`,
      is_group: false,
      search_text: searchOf(i),
      unread_count: i % 5 === 0 ? 2 : 0,
      last_message_preview: 'Ok, combinado!',
      last_message_at: iso(base + i * 60_000),
      created_at: at,
      updated_at: iso(base + i * 60_000),
    }),
    (trx, rows) => trx.insertInto('conversations').values(rows).returning('id').execute(),
  )
  await insertChunked(
    db,
    options.conversations,
    (i) => ({ conversation_id: conversationIds[i]!, tag_id: tagIds[i % tagIds.length]!, created_at: at }),
    (trx, rows) => trx.insertInto('conversation_tags').values(rows).execute(),
  )

  // The long conversation gets its share first; the rest spread over the others.
  const spread = options.messages - options.longConversation
  const perOther = Math.max(1, Math.floor(spread / Math.max(1, options.conversations - 1)))
  await insertChunked(
    db,
    options.messages,
    (m): Insertable<MessagesTable> => {
      const long = m < options.longConversation
      const i = long
        ? 0
        : 1 + (Math.floor((m - options.longConversation) / perOther) % (options.conversations - 1))
      const incoming = m % 2 === 0
      const when = iso(base + (long ? m * 1000 : i * 60_000 - 1000))
      return {
        uuid: newUuid(),
        tenant_id: tenantId,
        instance_id: instanceId,
        conversation_id: conversationIds[i]!,
        whatsapp_message_id: `BENCH${m}`,
        direction: incoming ? 'incoming' : 'outgoing',
        chat_jid: `${phone(i)}@s.whatsapp.net`,
        sender_jid: incoming ? `${phone(i)}@s.whatsapp.net` : null,
        sender_number: incoming ? phone(i) : '5511900000000',
        sender_name: incoming ? FIRST[i % 10]! : null,
        recipient_number: incoming ? '5511900000000' : phone(i),
        type: 'text',
        body: incoming ? `Olá, pedido ${m} chegou? *obrigado*` : `Oi @${phone(i)}, chegou sim!`,
        status: incoming ? 'read' : 'delivered',
        sent_at: when,
        source: incoming ? 'whatsapp' : 'api',
        created_at: when,
        updated_at: when,
      }
    },
    (trx, rows) => trx.insertInto('messages').values(rows).execute(),
  )
  return { instanceId, tagUuids, longConversationUuid: longUuid, rareName }
}
