import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound } from '../http/errors.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import * as repo from './repository.js'

export type ContactService = ReturnType<typeof createContactService>

/** Contacts: what other modules may do with them (the HTTP endpoints come with the inbox). */
export function createContactService(deps: { db: Kysely<DB> }) {
  return {
    /** Inside the caller's transaction: the contact of a number seen on WhatsApp, created or refreshed. */
    async seen(
      trx: Kysely<DB>,
      input: {
        tenantId: number
        instanceId: number
        phone: string
        jid?: string | null
        lid?: string | null
        pushName?: string | null
        at: string
      },
    ): Promise<number> {
      return repo.upsertFromWhatsApp(trx, {
        uuid: newUuid(),
        tenant_id: input.tenantId,
        instance_id: input.instanceId,
        phone_number: input.phone,
        jid: input.jid ?? null,
        lid: input.lid ?? null,
        push_name: input.pushName ?? null,
        at: input.at,
      })
    },

    /** The phone number of a contact the caller may see (404 otherwise). */
    async phoneOf(auth: AuthContext, ref: string): Promise<string> {
      const parsed = parseEntityRef(ref)
      const contact = parsed ? await repo.findContact(deps.db, auth.tenantId, parsed) : undefined
      if (!contact || (auth.instanceId !== null && auth.instanceId !== contact.instance_id))
        throw notFound('Contact')
      return contact.phone_number
    },

    /** The name to show for a number: the user's name for it, else WhatsApp's push name. */
    async displayName(db: Kysely<DB>, instanceId: number, phone: string): Promise<string | null> {
      const contact = await repo.findContactByPhone(db, instanceId, phone)
      if (!contact) return null
      const full = [contact.first_name, contact.last_name].filter(Boolean).join(' ')
      return contact.display_name || contact.name || full || contact.push_name || null
    },
  }
}
