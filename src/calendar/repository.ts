import type { Insertable, Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { AppointmentStatus, CalendarAppointmentsTable } from './table.js'

type Db = Kysely<DB>

const COLUMNS = [
  'calendar_appointments.id',
  'calendar_appointments.uuid',
  'calendar_appointments.tenant_id',
  'calendar_appointments.contact_id',
  'calendar_appointments.instance_id',
  'calendar_appointments.lead_id',
  'calendar_appointments.title',
  'calendar_appointments.description',
  'calendar_appointments.location',
  'calendar_appointments.starts_at',
  'calendar_appointments.ends_at',
  'calendar_appointments.timezone',
  'calendar_appointments.status',
  'calendar_appointments.confirmed_at',
  'calendar_appointments.completed_at',
  'calendar_appointments.cancelled_at',
  'calendar_appointments.cancel_reason',
  'calendar_appointments.reminder_minutes_before',
  'calendar_appointments.reminder_message',
  'calendar_appointments.reminder_message_id',
  'calendar_appointments.reminder_error',
  'calendar_appointments.created_by',
  'calendar_appointments.created_at',
  'calendar_appointments.updated_at',
  'contacts.uuid as contact_uuid',
  'contacts.instance_id as contact_instance_id',
  'contacts.phone_number as contact_phone',
  'contacts.name as contact_name',
  'contacts.display_name as contact_display_name',
  'contacts.first_name as contact_first_name',
  'contacts.last_name as contact_last_name',
  'contacts.push_name as contact_push_name',
  'kanban_leads.uuid as lead_uuid',
  // The reminder's state is the scheduled message's.
  'messages.uuid as reminder_uuid',
  'messages.status as reminder_status',
  'messages.error_code as reminder_error_code',
  'messages.scheduled_at as reminder_scheduled_at',
  'messages.sent_at as reminder_sent_at',
] as const

function withDetails(db: Db) {
  return db
    .selectFrom('calendar_appointments')
    .leftJoin('contacts', 'contacts.id', 'calendar_appointments.contact_id')
    .leftJoin('kanban_leads', 'kanban_leads.id', 'calendar_appointments.lead_id')
    .leftJoin('messages', 'messages.id', 'calendar_appointments.reminder_message_id')
    .select(COLUMNS)
}

export type AppointmentRow = Awaited<ReturnType<typeof findAppointmentById>> & {}

export async function findAppointment(db: Db, tenantId: number, ref: EntityRef) {
  const query = withDetails(db).where('calendar_appointments.tenant_id', '=', tenantId)
  return (
    'id' in ref
      ? query.where('calendar_appointments.id', '=', ref.id)
      : query.where('calendar_appointments.uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findAppointmentById(db: Db, id: number) {
  return withDetails(db).where('calendar_appointments.id', '=', id).executeTakeFirst()
}

export interface AppointmentFilter {
  /** Appointments that overlap [from, to). */
  from?: string | undefined
  to?: string | undefined
  statuses?: AppointmentStatus[] | undefined
  contactId?: number | undefined
}

/** Soonest first. */
export async function listAppointments(
  db: Db,
  tenantId: number,
  filter: AppointmentFilter,
  page: { limit: number; offset: number },
) {
  let query = withDetails(db).where('calendar_appointments.tenant_id', '=', tenantId)
  if (filter.from) query = query.where('calendar_appointments.ends_at', '>', filter.from)
  if (filter.to) query = query.where('calendar_appointments.starts_at', '<', filter.to)
  if (filter.statuses?.length) query = query.where('calendar_appointments.status', 'in', filter.statuses)
  if (filter.contactId !== undefined)
    query = query.where('calendar_appointments.contact_id', '=', filter.contactId)
  const { total } = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  const rows = await query
    .orderBy('calendar_appointments.starts_at')
    .orderBy('calendar_appointments.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  return { rows, total: Number(total) }
}

export async function insertAppointment(db: Db, row: Insertable<CalendarAppointmentsTable>): Promise<number> {
  const { id } = await db
    .insertInto('calendar_appointments')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

export async function updateAppointment(
  db: Db,
  tenantId: number,
  id: number,
  patch: Updateable<CalendarAppointmentsTable>,
): Promise<void> {
  await db
    .updateTable('calendar_appointments')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Changes the status only if it is still `from` (two racing transitions: one wins). */
export async function transition(
  db: Db,
  tenantId: number,
  id: number,
  from: AppointmentStatus,
  patch: Updateable<CalendarAppointmentsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('calendar_appointments')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Records the reminder's message, unless another request changed it since `expected` was read. */
export async function setReminder(
  db: Db,
  tenantId: number,
  id: number,
  expected: number | null,
  patch: { reminder_message_id: number | null; reminder_error: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('calendar_appointments')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('reminder_message_id', expected === null ? 'is' : '=', expected)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Links the lead made from the appointment, unless another request already did. */
export async function linkLead(db: Db, tenantId: number, id: number, leadId: number, at: string) {
  const result = await db
    .updateTable('calendar_appointments')
    .set({ lead_id: leadId, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('lead_id', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function deleteAppointment(db: Db, tenantId: number, id: number): Promise<void> {
  await db
    .deleteFrom('calendar_appointments')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** The time zone a user chose (`PATCH /auth/me`). */
export async function userTimeZone(db: Db, tenantId: number, userId: number): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('timezone')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .executeTakeFirst()
  return row?.timezone ?? null
}
