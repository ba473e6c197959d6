import type { Generated, Selectable } from 'kysely'

export interface ContactsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  /** Digits only, E.164 without `+`. */
  phone_number: string
  jid: string | null
  lid: string | null
  name: string | null
  first_name: string | null
  last_name: string | null
  display_name: string | null
  /** The name the contact chose in WhatsApp. */
  push_name: string | null
  email: string | null
  company: string | null
  job_title: string | null
  notes: string | null
  custom_fields: unknown | null
  profile_picture_url: string | null
  /** Names and number folded to lower case without accents, for substring search (kept by the service). */
  search_text: string | null
  created_at: string
  updated_at: string
}

export type Contact = Selectable<ContactsTable>
