import type { Generated, Selectable } from 'kysely'

type Timestamp = string

export type AppointmentStatus = 'scheduled' | 'confirmed' | 'completed' | 'cancelled'

export interface CalendarAppointmentsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  contact_id: number | null
  /** The WhatsApp number that sends the reminder; the contact's own instance when null. */
  instance_id: number | null
  /** The lead made from this appointment (`to-kanban`). */
  lead_id: number | null
  title: string
  description: string | null
  location: string | null
  starts_at: Timestamp
  ends_at: Timestamp
  /** IANA time zone the appointment was given in; reminders show times in it. */
  timezone: string
  status: AppointmentStatus
  confirmed_at: Timestamp | null
  completed_at: Timestamp | null
  cancelled_at: Timestamp | null
  cancel_reason: string | null
  reminder_minutes_before: number | null
  /** Text of the reminder instead of the default one. */
  reminder_message: string | null
  /** The scheduled WhatsApp message that carries the reminder. */
  reminder_message_id: number | null
  /** Why the last attempt to queue the reminder failed, if it did. */
  reminder_error: string | null
  created_by: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export type Appointment = Selectable<CalendarAppointmentsTable>
