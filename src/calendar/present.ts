import { nameOf } from '../contacts/fields.js'
import type { AppointmentRow } from './repository.js'
import { localTime } from './times.js'

/** The reminder's state: its message's, `cancelled` once withdrawn, `failed` if it could not be queued. */
function reminderOf(row: AppointmentRow) {
  if (row.reminder_minutes_before === null && !row.reminder_message_id) return null
  if (!row.reminder_uuid) {
    return row.reminder_error
      ? { message_id: null, scheduled_at: null, status: 'failed', sent_at: null, error: row.reminder_error }
      : null
  }
  return {
    message_id: row.reminder_uuid,
    scheduled_at: row.reminder_scheduled_at,
    status: row.reminder_error_code === 'CANCELLED' ? 'cancelled' : row.reminder_status!,
    sent_at: row.reminder_sent_at,
    error: row.reminder_error,
  }
}

/** Calendar items show the uuid as `id` (DECISIONS §2); references to other entities are integer ids. */
export function presentAppointment(row: AppointmentRow) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    title: row.title,
    description: row.description,
    location: row.location,
    contact_id: row.contact_id,
    contact_uuid: row.contact_uuid,
    contact: row.contact_id
      ? {
          id: row.contact_id,
          uuid: row.contact_uuid!,
          name: nameOf({
            name: row.contact_name,
            display_name: row.contact_display_name,
            first_name: row.contact_first_name,
            last_name: row.contact_last_name,
            push_name: row.contact_push_name,
          }),
          phone_number: row.contact_phone!,
        }
      : null,
    start: row.starts_at,
    end: row.ends_at,
    start_local: localTime(row.starts_at, row.timezone),
    end_local: localTime(row.ends_at, row.timezone),
    timezone: row.timezone,
    duration_minutes: Math.round((Date.parse(row.ends_at) - Date.parse(row.starts_at)) / 60_000),
    status: row.status,
    confirmed_at: row.confirmed_at,
    completed_at: row.completed_at,
    cancelled_at: row.cancelled_at,
    cancel_reason: row.cancel_reason,
    instance_id: row.instance_id,
    reminder_minutes_before: row.reminder_minutes_before,
    reminder_message: row.reminder_message,
    reminder: reminderOf(row),
    lead_id: row.lead_id,
    lead_uuid: row.lead_uuid,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}
