import type { Kysely } from 'kysely'
import type { ConversationService } from '../conversations/service.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import { type ContactInput, contactSearchText, contactValues, nameOf, presentContact } from './fields.js'
import { importContacts } from './import.js'
import * as repo from './repository.js'
import { searchTerm } from './search.js'

export type ContactService = ReturnType<typeof createContactService>

/** A contact as WhatsApp makes it: none of the names a user types in. */
const NO_NAMES = {
  name: null,
  display_name: null,
  first_name: null,
  last_name: null,
  email: null,
  company: null,
}

/** A number seen on WhatsApp, with what WhatsApp told of it. */
export interface SeenInput {
  tenantId: number
  instanceId: number
  phone: string
  jid?: string | null
  lid?: string | null
  pushName?: string | null
  at: string
}

export interface ContactListQuery {
  instance_id?: string | undefined
  search?: string | undefined
  is_group?: boolean | undefined
  sort?: repo.ContactFilter['sort'] | undefined
  dir?: 'asc' | 'desc' | undefined
}

/** Contacts of an instance, unique per (instance, phone number); both documented field sets. */
export function createContactService(deps: {
  db: Kysely<DB>
  clock: Clock
  instances: Pick<InstanceService, 'find'>
  conversations: Pick<
    ConversationService,
    'contactChanged' | 'contactsChanged' | 'contactsCreated' | 'contactRemoved'
  >
}) {
  const { db, clock, instances, conversations } = deps
  const nowIso = () => clock.now().toISOString()

  /** A contact the caller may see (its instance's, for an sk_ token); 404 otherwise. */
  async function find(auth: AuthContext, ref: string): Promise<repo.ContactRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findContact(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id)) throw notFound('Contact')
    return row
  }

  /** The instance a new contact goes to: `instance_id`, or the one the caller is bound to. */
  async function targetInstance(auth: AuthContext, ref: string | undefined) {
    if (ref !== undefined) return instances.find(auth, ref)
    if (auth.instanceId !== null) return instances.find(auth, { id: auth.instanceId })
    throw validationError('instance_id', 'The instance_id field is required.')
  }

  /** Keeps the row's search text in step with its names; conversations follow their contact. */
  async function refreshSearch(trx: Kysely<DB>, id: number): Promise<void> {
    const row = await repo.findContactById(trx, id)
    if (!row) return
    const text = contactSearchText(row)
    if (text === row.search_text) return
    await repo.updateContact(trx, row.tenant_id, id, { search_text: text })
    await conversations.contactChanged(trx, id)
  }

  /**
   * Inside the caller's transaction: the contacts of numbers one instance saw on WhatsApp, in order,
   * created or refreshed in one statement (a number seen twice keeps the latest of what it told);
   * answers their ids by number.
   */
  async function seenMany(trx: Kysely<DB>, inputs: SeenInput[]): Promise<Map<string, number>> {
    const byPhone = new Map<string, repo.SeenContact>()
    for (const input of inputs) {
      const earlier = byPhone.get(input.phone)
      const row = {
        uuid: earlier?.uuid ?? newUuid(),
        tenant_id: input.tenantId,
        instance_id: input.instanceId,
        phone_number: input.phone,
        // What a later sighting does not tell, an earlier one may have.
        jid: input.jid || (earlier?.jid ?? input.jid ?? null),
        lid: input.lid || (earlier?.lid ?? input.lid ?? null),
        push_name: input.pushName || (earlier?.push_name ?? input.pushName ?? null),
        at: input.at,
      }
      // A new contact is written with its search text; one that exists keeps its own.
      byPhone.set(input.phone, { ...row, search_text: contactSearchText({ ...NO_NAMES, ...row }) })
    }
    const ids = new Map<string, number>()
    if (byPhone.size === 0) return ids
    // The search text follows the names: written where WhatsApp's changed it.
    const changed: [number, string][] = []
    let tenantId = 0
    for (const row of await repo.upsertManyFromWhatsApp(trx, [...byPhone.values()])) {
      ids.set(row.phone_number, row.id)
      const text = contactSearchText(row)
      if (text !== row.search_text) changed.push([row.id, text])
      tenantId = row.tenant_id
    }
    if (changed.length > 0) {
      await repo.setSearchTexts(trx, tenantId, changed)
      await conversations.contactsChanged(
        trx,
        changed.map(([id]) => id),
      )
    }
    return ids
  }

  function rejectInvalid(errors: Record<string, string[]>): void {
    if (Object.keys(errors).length > 0) {
      throw new AppError('VALIDATION_ERROR', 'The given data was invalid.', errors)
    }
  }

  function phoneTakenError(): AppError {
    return new AppError('CONFLICT', 'A contact with this phone number already exists in this instance.', {
      phone_number: ['The phone_number has already been taken in this instance.'],
    })
  }

  return {
    find,

    seenMany,

    /** The phone number of a contact the caller may see (404 otherwise). */
    async phoneOf(auth: AuthContext, ref: string): Promise<string> {
      return (await find(auth, ref)).phone_number
    },

    /** The name to show for a number: the user's name for it, else WhatsApp's push name. */
    async displayName(db: Kysely<DB>, instanceId: number, phone: string): Promise<string | null> {
      const contact = await repo.findContactByPhone(db, instanceId, phone)
      return contact ? nameOf(contact) : null
    },

    /** Names of an instance's contacts, by phone number and by LID (mentions, reactions). */
    async namesOf(instanceId: number, phones: string[], lids: string[] = []) {
      const rows = await repo.findNamesOf(db, instanceId, [...new Set(phones)], [...new Set(lids)])
      const byPhone = new Map<string, string>()
      const byLid = new Map<string, { phone: string; name: string | null }>()
      for (const row of rows) {
        const name = nameOf(row)
        if (name) byPhone.set(row.phone_number, name)
        if (row.lid) byLid.set(row.lid, { phone: row.phone_number, name })
      }
      return { byPhone, byLid }
    },

    async list(auth: AuthContext, query: ContactListQuery, page: { limit: number; offset: number }) {
      const instanceId = query.instance_id
        ? (await instances.find(auth, query.instance_id)).id
        : auth.instanceId
      // Contacts are people; groups are conversations.
      if (query.is_group === true) return { items: [], total: 0 }
      const search = query.search === undefined ? null : searchTerm(query.search)
      const { rows, total } = await repo.listContacts(
        db,
        auth.tenantId,
        { instanceId, search, sort: query.sort ?? 'created_at', dir: query.dir ?? 'desc' },
        page,
      )
      return { items: rows.map(presentContact), total }
    },

    async get(auth: AuthContext, ref: string) {
      return presentContact(await find(auth, ref))
    },

    async create(auth: AuthContext, input: ContactInput & { instance_id?: string | undefined }) {
      const instance = await targetInstance(auth, input.instance_id)
      const { values, errors } = contactValues(input as Record<string, unknown>, true)
      rejectInvalid(errors)
      const phone = values.phone_number!
      if (await repo.phoneTaken(db, instance.id, phone)) throw phoneTakenError()
      const at = nowIso()
      const id = await db.transaction().execute(async (trx) => {
        const [inserted] = await repo.insertContacts(trx, [
          {
            uuid: newUuid(),
            tenant_id: auth.tenantId,
            instance_id: instance.id,
            jid: `${phone}@s.whatsapp.net`,
            ...values,
            phone_number: phone,
            created_at: at,
            updated_at: at,
          },
        ])
        if (inserted === undefined) throw phoneTakenError()
        await refreshSearch(trx, inserted.id)
        await conversations.contactsCreated(trx, instance.id, [{ phone, contactId: inserted.id }])
        return inserted.id
      })
      return presentContact((await repo.findContactById(db, id))!)
    },

    /** PUT and PATCH alike: the fields given change, the others stay. */
    async update(auth: AuthContext, ref: string, input: ContactInput) {
      const row = await find(auth, ref)
      const { values, errors } = contactValues(input as Record<string, unknown>, false)
      rejectInvalid(errors)
      if (values.phone_number && (await repo.phoneTaken(db, row.instance_id, values.phone_number, row.id))) {
        throw phoneTakenError()
      }
      const phoneChanged = values.phone_number !== undefined && values.phone_number !== row.phone_number
      await db.transaction().execute(async (trx) => {
        await repo.updateContact(trx, auth.tenantId, row.id, {
          ...values,
          ...(phoneChanged ? { jid: `${values.phone_number}@s.whatsapp.net`, lid: null } : {}),
          updated_at: nowIso(),
        })
        await refreshSearch(trx, row.id)
      })
      return presentContact((await repo.findContactById(db, row.id))!)
    },

    /** Deletes the contact; its conversations and messages stay (they lose the link). */
    async remove(auth: AuthContext, ref: string): Promise<void> {
      const row = await find(auth, ref)
      await db.transaction().execute(async (trx) => {
        await repo.deleteContact(trx, auth.tenantId, row.id)
        await conversations.contactRemoved(trx, { instanceId: row.instance_id, phone: row.phone_number })
      })
    },

    async import(auth: AuthContext, input: { instance_id?: string | undefined; contacts: unknown[] }) {
      const instance = await targetInstance(auth, input.instance_id)
      return importContacts(
        { db, at: nowIso(), contactsCreated: conversations.contactsCreated },
        { tenantId: auth.tenantId, instanceId: instance.id },
        input.contacts,
      )
    },

    /**
     * Every contact the caller may see, page by page in id order, for an export that streams:
     * the instance is checked now (so that a 404 comes before the first byte), rows as they are read.
     */
    async exporter(auth: AuthContext, query: { instance_id?: string | undefined }) {
      const instanceId = query.instance_id
        ? (await instances.find(auth, query.instance_id)).id
        : auth.instanceId
      return async function* rows(pageSize = 500) {
        let after = 0
        for (;;) {
          const page = await repo.exportPage(db, auth.tenantId, { instanceId }, after, pageSize)
          for (const row of page) yield presentContact(row)
          if (page.length < pageSize) return
          after = page[page.length - 1]!.id
        }
      }
    },
  }
}
