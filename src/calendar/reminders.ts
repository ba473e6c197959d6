import type { AuthContext } from '../http/auth-context.js'
import { AppError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import type { MessageRow } from '../messages/repository.js'
import type { MessageService } from '../messages/service.js'
import type { AppointmentRow } from './repository.js'
import { localTime } from './times.js'

/** What the reminder of an appointment should be right now: who, through which number, when, what. */
export interface ReminderPlan {
  instanceId: number
  phone: string
  at: string
  text: string
}

const ACTIVE = new Set(['scheduled', 'confirmed'])

export function reminderText(appointment: AppointmentRow): string {
  if (appointment.reminder_message) return appointment.reminder_message
  const local = localTime(appointment.starts_at, appointment.timezone)
  const where = appointment.location ? `, ${appointment.location}` : ''
  return `Reminder: ${appointment.title} on ${local.slice(0, 10)} at ${local.slice(11, 16)} (${appointment.timezone})${where}.`
}

/**
 * The appointment is the tenant's, so its reminder follows it whichever token changes it: the
 * reminder's message is handled with the tenant's reach, not only the caller's instance.
 */
function tenantScope(auth: AuthContext): AuthContext {
  if (auth.kind === 'user') return { ...auth, instanceId: null }
  return {
    kind: 'user',
    tenantId: auth.tenantId,
    tokenId: auth.tokenId,
    instanceId: null,
    userId: 0,
    userName: auth.tokenName,
    role: 'member',
  }
}

type Messages = Pick<MessageService, 'find' | 'queueText' | 'reschedule' | 'cancelScheduled' | 'sendNow'>

/** Appointment reminders as scheduled WhatsApp messages (`messages.queueText` with `schedule_at`). */
export function createReminders(deps: { clock: Clock; messages: Messages }) {
  const { clock, messages } = deps

  function planFor(appointment: AppointmentRow): ReminderPlan | null {
    const minutes = appointment.reminder_minutes_before
    const instanceId = appointment.instance_id ?? appointment.contact_instance_id
    if (!ACTIVE.has(appointment.status) || minutes === null || !appointment.contact_phone || !instanceId)
      return null
    const now = clock.now().getTime()
    const start = Date.parse(appointment.starts_at)
    if (start <= now) return null
    // Booked inside the reminder window: the reminder goes out at once.
    const at = Math.max(now, start - minutes * 60_000)
    return {
      instanceId,
      phone: appointment.contact_phone,
      at: new Date(at).toISOString(),
      text: reminderText(appointment),
    }
  }

  async function current(scope: AuthContext, id: number | null): Promise<MessageRow | null> {
    if (id === null) return null
    try {
      return await messages.find(scope, String(id))
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return null
      throw error
    }
  }

  async function queue(scope: AuthContext, plan: ReminderPlan): Promise<number> {
    const queued = await messages.queueText(
      scope,
      { instance: String(plan.instanceId), recipient: plan.phone, message: plan.text, schedule_at: plan.at },
      { source: 'calendar' },
    )
    return queued.row.id
  }

  async function move(scope: AuthContext, row: MessageRow, plan: ReminderPlan): Promise<void> {
    const now = clock.now().getTime()
    const due = (iso: string | null) => iso !== null && Date.parse(iso) <= now
    const sameTime = row.scheduled_at === plan.at || (due(row.scheduled_at) && due(plan.at))
    if (sameTime && row.body === plan.text) return
    const ref = String(row.id)
    if (Date.parse(plan.at) > now) {
      await messages.reschedule(scope, ref, { message: plan.text, scheduled_at: plan.at })
    } else {
      if (row.body !== plan.text) await messages.reschedule(scope, ref, { message: plan.text })
      if (!due(row.scheduled_at)) await messages.sendNow(scope, ref)
    }
  }

  const pending = (row: MessageRow): boolean => row.status === 'pending' && row.attempts === 0

  return {
    planFor,

    /**
     * Brings the reminder in line with the appointment: the pending message is moved, rewritten or
     * cancelled; a new one is queued when there is none, or when the one that went out was for
     * another time (`changed`). Answers the message to keep and why queueing failed, if it did.
     */
    async sync(
      auth: AuthContext,
      appointment: AppointmentRow,
      changed: boolean,
    ): Promise<{ messageId: number | null; error: string | null }> {
      const scope = tenantScope(auth)
      const plan = planFor(appointment)
      const row = await current(scope, appointment.reminder_message_id)
      try {
        if (row && pending(row)) {
          if (!plan) {
            await messages.cancelScheduled(scope, String(row.id))
            return { messageId: row.id, error: null }
          }
          if (row.instance_id !== plan.instanceId || row.recipient_number !== plan.phone) {
            await messages.cancelScheduled(scope, String(row.id))
            return { messageId: await queue(scope, plan), error: null }
          }
          await move(scope, row, plan)
          return { messageId: row.id, error: null }
        }
        if (!plan || (row && !changed)) return { messageId: row?.id ?? null, error: null }
        return { messageId: await queue(scope, plan), error: null }
      } catch (error) {
        // The appointment stands without its reminder (quota reached, number not allowed…); it says why.
        if (error instanceof AppError && error.status < 500) {
          return { messageId: row?.id ?? null, error: `${error.code}: ${error.message}` }
        }
        throw error
      }
    },

    /** Withdraws the reminder if it has not gone out (the appointment is deleted). */
    async withdraw(auth: AuthContext, messageId: number | null): Promise<void> {
      const scope = tenantScope(auth)
      const row = await current(scope, messageId)
      if (!row || !pending(row)) return
      try {
        await messages.cancelScheduled(scope, String(row.id))
      } catch (error) {
        // It went out meanwhile: nothing left to withdraw.
        if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error
      }
    },
  }
}

export type Reminders = ReturnType<typeof createReminders>
