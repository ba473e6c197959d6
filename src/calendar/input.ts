import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import * as repo from './repository.js'
import { isTimeZone, parseInstant } from './times.js'

export interface AppointmentInput {
  title?: string | undefined
  description?: string | null | undefined
  location?: string | null | undefined
  contact_id?: string | null | undefined
  start?: string | undefined
  end?: string | undefined
  timezone?: string | undefined
  status?: string | undefined
  reminder_minutes_before?: number | null | undefined
  reminder_message?: string | null | undefined
  instance_id?: string | null | undefined
}

const DEFAULT_MINUTES = 60

/** Reads what a create or update of an appointment asks for, into validated column values. */
export function createAppointmentInput(deps: {
  db: Kysely<DB>
  contacts: Pick<ContactService, 'find'>
  instances: Pick<InstanceService, 'find'>
}) {
  const { db } = deps

  /** The caller's zone for datetimes without an offset: the user's (PATCH /auth/me), else UTC. */
  async function callerZone(auth: AuthContext): Promise<string> {
    if (auth.kind !== 'user') return 'UTC'
    return (await repo.userTimeZone(db, auth.tenantId, auth.userId)) ?? 'UTC'
  }

  function zoneOf(value: string): string {
    if (!isTimeZone(value)) {
      throw validationError(
        'timezone',
        'The timezone field must be a valid IANA time zone (e.g. America/Sao_Paulo).',
      )
    }
    return value
  }

  /** Validated values of a create or update; `before` is the stored appointment on update. */
  async function valuesOf(auth: AuthContext, input: AppointmentInput, before?: repo.AppointmentRow) {
    const zone =
      input.timezone !== undefined ? zoneOf(input.timezone) : (before?.timezone ?? (await callerZone(auth)))
    const start = input.start !== undefined ? parseInstant(input.start, zone, 'start') : before?.starts_at
    if (!start) throw validationError('start', 'The start field is required.')
    // Moving the start alone keeps the duration.
    const duration = before
      ? Date.parse(before.ends_at) - Date.parse(before.starts_at)
      : DEFAULT_MINUTES * 60_000
    const end =
      input.end !== undefined
        ? parseInstant(input.end, zone, 'end')
        : input.start !== undefined || !before
          ? new Date(Date.parse(start) + duration).toISOString()
          : before.ends_at
    if (Date.parse(end) <= Date.parse(start)) throw validationError('end', 'The end must be after the start.')
    const contact =
      input.contact_id === undefined
        ? undefined
        : input.contact_id === null
          ? null
          : await deps.contacts.find(auth, input.contact_id)
    const instance =
      input.instance_id === undefined
        ? undefined
        : input.instance_id === null
          ? null
          : await deps.instances.find(auth, input.instance_id)
    const minutes =
      input.reminder_minutes_before !== undefined
        ? input.reminder_minutes_before
        : (before?.reminder_minutes_before ?? null)
    const hasContact = contact !== undefined ? contact !== null : Boolean(before?.contact_id)
    if (minutes !== null && !hasContact) {
      throw validationError(
        'reminder_minutes_before',
        'A reminder needs a contact to send it to (contact_id).',
      )
    }
    return {
      timezone: zone,
      starts_at: start,
      ends_at: end,
      ...(input.title !== undefined ? { title: input.title.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.location !== undefined ? { location: input.location } : {}),
      ...(contact !== undefined ? { contact_id: contact?.id ?? null } : {}),
      ...(instance !== undefined ? { instance_id: instance?.id ?? null } : {}),
      ...(input.reminder_message !== undefined ? { reminder_message: input.reminder_message } : {}),
      reminder_minutes_before: minutes,
    }
  }

  return { callerZone, valuesOf }
}
