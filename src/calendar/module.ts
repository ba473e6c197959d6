import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import type { InstanceService } from '../instances/service.js'
import type { LeadService } from '../kanban/lead-service.js'
import type { Clock } from '../lib/clock.js'
import type { MessageService } from '../messages/service.js'
import { createReminders } from './reminders.js'
import * as repo from './repository.js'
import { createCalendarService } from './service.js'
import { parseInstant } from './times.js'

/** The calendar: appointments and their WhatsApp reminders. */
export function createCalendar(deps: {
  db: Kysely<DB>
  clock: Clock
  contacts: Pick<ContactService, 'find'>
  instances: Pick<InstanceService, 'find'>
  messages: Pick<MessageService, 'find' | 'queueText' | 'reschedule' | 'cancelScheduled' | 'sendNow'>
  leads: Pick<LeadService, 'create' | 'remove'>
}) {
  const reminders = createReminders({ clock: deps.clock, messages: deps.messages })
  return createCalendarService({ ...deps, reminders })
}

/**
 * Reads a datetime that may lack an offset, in the caller's time zone (their user's, else UTC):
 * the kanban's created range filters use it too.
 */
export function callerInstant(db: Kysely<DB>) {
  return async (auth: AuthContext, value: string, field: string, endOfDay = false) => {
    const zone =
      auth.kind === 'user' ? ((await repo.userTimeZone(db, auth.tenantId, auth.userId)) ?? 'UTC') : 'UTC'
    return parseInstant(value, zone, field, { endOfDay })
  }
}
