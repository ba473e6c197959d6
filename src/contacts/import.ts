import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { newUuid } from '../lib/ids.js'
import { contactSearchText, contactValues } from './fields.js'
import * as repo from './repository.js'

export const MAX_IMPORT = 1000

export interface ImportResult {
  imported: number
  skipped: number
  errors: { index: number; phone_number: string | null; error: string }[]
}

/** The number of an import row, whichever documented or common key carries it. */
function phoneOf(row: Record<string, unknown>): unknown {
  return row['phone_number'] ?? row['phone'] ?? row['number']
}

/**
 * Imports up to MAX_IMPORT contacts into one instance: invalid rows are reported by index, numbers
 * that already have a contact (or appear twice in the call) are skipped, the rest go in together.
 */
export async function importContacts(
  deps: {
    db: Kysely<DB>
    at: string
    contactsCreated: (
      trx: Kysely<DB>,
      instanceId: number,
      contacts: { phone: string; contactId: number }[],
    ) => Promise<void>
  },
  target: { tenantId: number; instanceId: number },
  rows: unknown[],
): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, skipped: 0, errors: [] }
  const valid: { phone: string; values: ReturnType<typeof contactValues>['values'] }[] = []
  const seen = new Set<string>()

  rows.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      result.errors.push({ index, phone_number: null, error: 'Each contact must be an object.' })
      return
    }
    const row = raw as Record<string, unknown>
    const phone = phoneOf(row)
    const { values, errors } = contactValues({ ...row, phone_number: phone }, true)
    const messages = Object.values(errors).flat()
    if (messages.length > 0) {
      const shown = typeof phone === 'string' || typeof phone === 'number' ? String(phone) : null
      result.errors.push({ index, phone_number: shown, error: messages.join(' ') })
      return
    }
    const digits = values.phone_number!
    if (seen.has(digits)) {
      result.skipped++
      return
    }
    seen.add(digits)
    valid.push({ phone: digits, values })
  })

  const existing = await repo.existingPhones(
    deps.db,
    target.instanceId,
    valid.map((v) => v.phone),
  )
  const fresh = valid.filter((v) => !existing.has(v.phone))
  result.skipped += valid.length - fresh.length

  await deps.db.transaction().execute(async (trx) => {
    const insertRows = fresh.map(({ phone, values }) => {
      const row = {
        uuid: newUuid(),
        tenant_id: target.tenantId,
        instance_id: target.instanceId,
        jid: `${phone}@s.whatsapp.net`,
        ...values,
        phone_number: phone,
        created_at: deps.at,
        updated_at: deps.at,
      }
      return {
        ...row,
        search_text: contactSearchText({
          name: row.name ?? null,
          display_name: row.display_name ?? null,
          first_name: row.first_name ?? null,
          last_name: row.last_name ?? null,
          push_name: null,
          phone_number: phone,
          email: row.email ?? null,
          company: row.company ?? null,
        }),
      }
    })
    const inserted = await repo.insertContacts(trx, insertRows)
    // A number taken between the check and the insert is skipped too (the insert ignores it).
    result.imported = inserted.length
    result.skipped += fresh.length - inserted.length
    await deps.contactsCreated(
      trx,
      target.instanceId,
      inserted.map((row) => ({ phone: row.phone_number, contactId: row.id })),
    )
  })
  return result
}
