import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { DB } from '../db/schema.js'
import { type AuthContext, actorName } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import type { LeadService } from '../kanban/lead-service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import { type AppointmentInput, createAppointmentInput } from './input.js'
import { presentAppointment } from './present.js'
import type { Reminders } from './reminders.js'
import * as repo from './repository.js'
import type { AppointmentStatus } from './table.js'
import { parseInstant } from './times.js'

export type { AppointmentInput }
export type CalendarService = ReturnType<typeof createCalendarService>

/** Which status each one may move to; anything else is `409 INVALID_TRANSITION`. */
const NEXT: Record<AppointmentStatus, AppointmentStatus[]> = {
  scheduled: ['confirmed', 'completed', 'cancelled'],
  confirmed: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
}

/** Appointments with their WhatsApp reminders; the tenant's calendar, for user and sk_ tokens alike. */
export function createCalendarService(deps: {
  db: Kysely<DB>
  clock: Clock
  contacts: Pick<ContactService, 'find'>
  instances: Pick<InstanceService, 'find'>
  leads: Pick<LeadService, 'create' | 'remove'>
  reminders: Reminders
}) {
  const { db, clock, reminders } = deps
  const nowIso = () => clock.now().toISOString()
  const { callerZone, valuesOf } = createAppointmentInput(deps)

  async function find(auth: AuthContext, ref: string): Promise<repo.AppointmentRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findAppointment(db, auth.tenantId, parsed) : undefined
    if (!row) throw notFound('Appointment')
    return row
  }

  /** Queues, moves or withdraws the reminder, and keeps which message carries it. */
  async function syncReminder(auth: AuthContext, id: number, changed: boolean) {
    const row = (await repo.findAppointmentById(db, id))!
    const { messageId, error } = await reminders.sync(auth, row, changed)
    if (messageId === row.reminder_message_id && error === row.reminder_error) return
    const kept = await repo.setReminder(db, auth.tenantId, id, row.reminder_message_id, {
      reminder_message_id: messageId,
      reminder_error: error,
    })
    // Another change of the appointment queued its own reminder meanwhile: one reminder, not two.
    if (!kept && messageId !== row.reminder_message_id) await reminders.withdraw(auth, messageId)
  }

  async function view(id: number) {
    return presentAppointment((await repo.findAppointmentById(db, id))!)
  }

  /** A status change the table above allows; the reminder follows (a cancelled one is withdrawn). */
  async function move(
    auth: AuthContext,
    ref: string,
    to: AppointmentStatus,
    extra: { reason?: string } = {},
  ) {
    const row = await find(auth, ref)
    const at = nowIso()
    const allowed = NEXT[row.status].includes(to)
    const changed =
      allowed &&
      (await repo.transition(db, auth.tenantId, row.id, row.status, {
        status: to,
        ...(to === 'confirmed' ? { confirmed_at: at } : {}),
        ...(to === 'completed' ? { completed_at: at } : {}),
        ...(to === 'cancelled' ? { cancelled_at: at, cancel_reason: extra.reason?.trim() || null } : {}),
        updated_at: at,
      }))
    if (!changed) {
      const current = (await repo.findAppointmentById(db, row.id)) ?? row
      throw new AppError('INVALID_TRANSITION', `A ${current.status} appointment cannot become ${to}.`, {
        status: current.status,
        allowed: NEXT[current.status],
      })
    }
    await syncReminder(auth, row.id, false)
    return view(row.id)
  }

  return {
    find,

    async list(
      auth: AuthContext,
      query: { from?: string; to?: string; status?: string; contact_id?: string },
      page: { limit: number; offset: number },
    ) {
      const zone = await callerZone(auth)
      const statuses = query.status
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      for (const status of statuses ?? []) {
        if (!(status in NEXT)) {
          throw validationError(
            'status',
            'The status field must be scheduled, confirmed, completed or cancelled.',
          )
        }
      }
      const contact = query.contact_id ? await deps.contacts.find(auth, query.contact_id) : null
      const { rows, total } = await repo.listAppointments(
        db,
        auth.tenantId,
        {
          from: query.from ? parseInstant(query.from, zone, 'from') : undefined,
          to: query.to ? parseInstant(query.to, zone, 'to', { endOfDay: true }) : undefined,
          statuses: statuses as AppointmentStatus[] | undefined,
          contactId: contact?.id,
        },
        page,
      )
      return { items: rows.map(presentAppointment), total }
    },

    async get(auth: AuthContext, ref: string) {
      return presentAppointment(await find(auth, ref))
    },

    async create(auth: AuthContext, input: AppointmentInput & { title: string }) {
      const values = await valuesOf(auth, input)
      const status = (input.status ?? 'scheduled') as AppointmentStatus
      if (status !== 'scheduled' && status !== 'confirmed') {
        throw validationError('status', 'A new appointment is scheduled or confirmed.')
      }
      const at = nowIso()
      const id = await repo.insertAppointment(db, {
        uuid: newUuid(),
        tenant_id: auth.tenantId,
        contact_id: null,
        instance_id: null,
        lead_id: null,
        title: input.title.trim(),
        description: null,
        location: null,
        reminder_message: null,
        ...values,
        status,
        confirmed_at: status === 'confirmed' ? at : null,
        completed_at: null,
        cancelled_at: null,
        cancel_reason: null,
        reminder_message_id: null,
        reminder_error: null,
        created_by: actorName(auth),
        created_at: at,
        updated_at: at,
      })
      await syncReminder(auth, id, true)
      return view(id)
    },

    async update(auth: AuthContext, ref: string, input: AppointmentInput) {
      const before = await find(auth, ref)
      const { status, ...rest } = input
      // A refused status change leaves the rest unchanged too.
      if (
        status !== undefined &&
        status !== before.status &&
        !NEXT[before.status].includes(status as AppointmentStatus)
      ) {
        throw new AppError('INVALID_TRANSITION', `A ${before.status} appointment cannot become ${status}.`, {
          status: before.status,
          allowed: NEXT[before.status],
        })
      }
      const values = await valuesOf(auth, rest, before)
      await repo.updateAppointment(db, auth.tenantId, before.id, { ...values, updated_at: nowIso() })
      const after = (await repo.findAppointmentById(db, before.id))!
      // A reminder that went out is sent again only when the appointment moved or changed hands.
      const changed =
        after.starts_at !== before.starts_at ||
        after.reminder_minutes_before !== before.reminder_minutes_before ||
        after.contact_id !== before.contact_id ||
        after.instance_id !== before.instance_id
      await syncReminder(auth, before.id, changed)
      if (status !== undefined && status !== before.status)
        return move(auth, before.uuid, status as AppointmentStatus)
      return view(before.id)
    },

    async remove(auth: AuthContext, ref: string): Promise<void> {
      const row = await find(auth, ref)
      await reminders.withdraw(auth, row.reminder_message_id)
      await repo.deleteAppointment(db, auth.tenantId, row.id)
    },

    confirm: (auth: AuthContext, ref: string) => move(auth, ref, 'confirmed'),
    complete: (auth: AuthContext, ref: string) => move(auth, ref, 'completed'),
    cancel: (auth: AuthContext, ref: string, reason?: string) =>
      move(auth, ref, 'cancelled', reason ? { reason } : {}),

    /** A lead for the appointment's contact: in the given board/column, else the first board's first column. */
    async toKanban(
      auth: AuthContext,
      ref: string,
      input: { board_id?: string; column_id?: string; title?: string; value?: number; currency?: string },
    ) {
      const row = await find(auth, ref)
      if (!row.contact_id)
        throw validationError('contact_id', 'The appointment has no contact to make a lead of.')
      if (row.lead_id) {
        throw new AppError('CONFLICT', 'A lead was already made from this appointment.', {
          lead_id: row.lead_uuid,
        })
      }
      const lead = await deps.leads.create(
        auth,
        {
          board_id: input.board_id,
          column_id: input.column_id,
          title: input.title ?? row.title,
          value: input.value,
          currency: input.currency,
          notes: row.description,
          contact_id: String(row.contact_id),
        },
        {
          description: `Created from the appointment "${row.title}"`,
          data: { appointment_id: row.id, appointment_uuid: row.uuid },
        },
      )
      if (!(await repo.linkLead(db, auth.tenantId, row.id, lead.numeric_id, nowIso()))) {
        // Another request made the lead first: this one is withdrawn.
        await deps.leads.remove(auth, lead.uuid)
        throw new AppError('CONFLICT', 'A lead was already made from this appointment.')
      }
      return lead
    },
  }
}
