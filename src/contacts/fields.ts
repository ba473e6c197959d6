import { parseJson } from '../db/dialect.js'
import { normalizePhone } from '../engine/jid.js'
import type { ContactRow } from './repository.js'
import { searchText } from './search.js'

/** Both documented field sets: `name`, and `first_name/last_name/display_name`. Null clears a field. */
export interface ContactInput {
  phone_number?: string | number | null | undefined
  name?: string | null | undefined
  first_name?: string | null | undefined
  last_name?: string | null | undefined
  display_name?: string | null | undefined
  email?: string | null | undefined
  company?: string | null | undefined
  job_title?: string | null | undefined
  notes?: string | null | undefined
  custom_fields?: Record<string, unknown> | null | undefined
}

export interface ContactValues {
  phone_number?: string
  name?: string | null
  first_name?: string | null
  last_name?: string | null
  display_name?: string | null
  email?: string | null
  company?: string | null
  job_title?: string | null
  notes?: string | null
  custom_fields?: string | null
}

const TEXT_LIMITS = {
  name: 255,
  first_name: 255,
  last_name: 255,
  display_name: 255,
  email: 255,
  company: 255,
  job_title: 255,
  notes: 10_000,
} as const
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const CUSTOM_FIELDS_BYTES = 16_384

/**
 * Checks and normalizes what a client sent (create, update or one import row); answers the values
 * to store and, per field, what is wrong. Used for schema-less import rows too, so it trusts no type.
 */
export function contactValues(input: Record<string, unknown>, requirePhone: boolean) {
  const values: ContactValues = {}
  const errors: Record<string, string[]> = {}
  const fail = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message]
  }

  const rawPhone = input['phone_number']
  if (rawPhone === undefined || rawPhone === null || rawPhone === '') {
    if (requirePhone) fail('phone_number', 'The phone_number field is required.')
  } else {
    const phone =
      typeof rawPhone === 'string' || typeof rawPhone === 'number'
        ? normalizePhone(String(rawPhone))
        : undefined
    if (phone) values.phone_number = phone
    else fail('phone_number', 'The phone_number field must be a valid phone number (e.g. +15551234567).')
  }

  for (const [field, limit] of Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][]) {
    const value = input[field]
    if (value === undefined) continue
    if (value === null) {
      values[field] = null
      continue
    }
    if (typeof value !== 'string') {
      fail(field, `The ${field} field must be a string.`)
      continue
    }
    const trimmed = value.trim()
    if (trimmed.length > limit)
      fail(field, `The ${field} field must not be greater than ${limit} characters.`)
    else if (field === 'email' && trimmed && !EMAIL.test(trimmed))
      fail(field, 'The email field must be a valid email address.')
    else values[field] = trimmed || null
  }

  const custom = input['custom_fields']
  if (custom === null) values.custom_fields = null
  else if (custom !== undefined) {
    const json = typeof custom === 'object' && !Array.isArray(custom) ? JSON.stringify(custom) : null
    if (json === null) fail('custom_fields', 'The custom_fields field must be an object.')
    else if (Buffer.byteLength(json) > CUSTOM_FIELDS_BYTES)
      fail('custom_fields', `The custom_fields field must not be larger than ${CUSTOM_FIELDS_BYTES} bytes.`)
    else values.custom_fields = json
  }
  return { values, errors }
}

type Named = Pick<ContactRow, 'name' | 'first_name' | 'last_name' | 'display_name' | 'push_name'>

function fullName(row: Pick<Named, 'first_name' | 'last_name'>): string | null {
  return [row.first_name, row.last_name].filter(Boolean).join(' ') || null
}

/** The name to show for a contact: the user's names first, then WhatsApp's push name. */
export function nameOf(row: Named): string | null {
  return row.display_name || row.name || fullName(row) || row.push_name || null
}

/** What a contact is found by in a search: its names, number, e-mail and company. */
export function contactSearchText(
  row: Named & Pick<ContactRow, 'phone_number' | 'email' | 'company'>,
): string {
  return searchText(
    row.name,
    row.display_name,
    row.first_name,
    row.last_name,
    row.push_name,
    row.phone_number,
    row.email,
    row.company,
  )
}

export function presentContact(row: ContactRow) {
  const name = row.name || fullName(row)
  return {
    id: row.id,
    uuid: row.uuid,
    instance_id: row.instance_id,
    phone_number: row.phone_number,
    jid: row.jid ?? `${row.phone_number}@s.whatsapp.net`,
    name,
    first_name: row.first_name,
    last_name: row.last_name,
    display_name: row.display_name || name || row.push_name || null,
    push_name: row.push_name,
    email: row.email,
    company: row.company,
    job_title: row.job_title,
    notes: row.notes,
    custom_fields: parseJson<Record<string, unknown>>(row.custom_fields, {}),
    profile_picture_url: row.profile_picture_url,
    is_business: false,
    is_group: false,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export type ContactView = ReturnType<typeof presentContact>
