import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  type Api,
  apiFor,
  connectedInstance,
  expectStatus,
  instanceToken,
  newContact,
} from '../kanban/support.js'

const MINUTE = 60_000

describe('appointment reminders as scheduled WhatsApp messages (sandbox, manual clock)', () => {
  const clock = manualClock(new Date())
  let app: TestApp
  let api: Api
  let instance: { id: number; uuid: string }
  let second: { id: number; uuid: string }
  let contact: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp({ clock })
    api = apiFor(app, (await app.register()).token)
    instance = await connectedInstance(api, '5511900003333')
    second = await connectedInstance(api, '5511900004444')
    contact = await newContact(api, instance, '5511987651234', 'Fabio Patient')
  })
  afterAll(() => app.close())

  const inMinutes = (minutes: number) => new Date(clock.now().getTime() + minutes * MINUTE).toISOString()
  const create = async (body: object) =>
    expectStatus(
      await api('POST', '/calendar/appointments', {
        title: 'Dental check-up',
        contact_id: contact.uuid,
        timezone: 'America/Sao_Paulo',
        ...body,
      }),
      201,
    )
  const get = async (uuid: string) => expectStatus(await api('GET', `/calendar/appointments/${uuid}`), 200)
  const scheduled = async (messageUuid: string) =>
    expectStatus(await api('GET', `/scheduled/${messageUuid}`), 200)
  const minus = (iso: string, minutes: number) => new Date(Date.parse(iso) - minutes * MINUTE).toISOString()

  it('queues the reminder to the contact through its instance, moves it with the appointment and rewrites it', async () => {
    const appt = await create({ start: inMinutes(120), reminder_minutes_before: 30, location: 'Clinic' })
    expect(appt.reminder).toMatchObject({
      status: 'pending',
      scheduled_at: minus(appt.start, 30),
      error: null,
    })
    const message = await scheduled(appt.reminder.message_id)
    expect(message).toMatchObject({
      status: 'pending',
      recipient: '5511987651234',
      instance_id: instance.id,
      scheduled_at: minus(appt.start, 30),
    })
    expect(message.message).toBe(
      `Reminder: Dental check-up on ${appt.start_local.slice(0, 10)} at ${appt.start_local.slice(11, 16)} (America/Sao_Paulo), Clinic.`,
    )

    const moved = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { start: inMinutes(180) }),
      200,
    )
    expect(moved.reminder.message_id).toBe(appt.reminder.message_id)
    expect(moved.reminder.scheduled_at).toBe(minus(moved.start, 30))
    expect((await scheduled(appt.reminder.message_id)).scheduled_at).toBe(minus(moved.start, 30))

    const longer = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, {
        reminder_minutes_before: 60,
        title: 'Cleaning',
      }),
      200,
    )
    expect(longer.reminder.scheduled_at).toBe(minus(moved.start, 60))
    expect((await scheduled(appt.reminder.message_id)).message).toContain('Reminder: Cleaning on')

    const custom = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { reminder_message: 'See you soon, Fabio!' }),
      200,
    )
    expect(custom.reminder.message_id).toBe(appt.reminder.message_id)
    expect((await scheduled(appt.reminder.message_id)).message).toBe('See you soon, Fabio!')

    const confirmed = expectStatus(await api('POST', `/calendar/appointments/${appt.uuid}/confirm`), 200)
    expect(confirmed.reminder.status).toBe('pending')
    const off = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { reminder_minutes_before: null }),
      200,
    )
    expect(off.reminder).toMatchObject({ status: 'cancelled', message_id: appt.reminder.message_id })
    expect((await scheduled(appt.reminder.message_id)).status).toBe('cancelled')
  })

  it('cancels the reminder with the appointment, and when the appointment is deleted or completed', async () => {
    const cancelled = await create({ start: inMinutes(240), reminder_minutes_before: 15 })
    const afterCancel = expectStatus(
      await api('POST', `/calendar/appointments/${cancelled.uuid}/cancel`),
      200,
    )
    expect(afterCancel.reminder.status).toBe('cancelled')
    expect((await scheduled(cancelled.reminder.message_id)).status).toBe('cancelled')

    const deleted = await create({ start: inMinutes(240), reminder_minutes_before: 15 })
    expect((await api('DELETE', `/calendar/appointments/${deleted.uuid}`)).status).toBe(200)
    expect((await scheduled(deleted.reminder.message_id)).status).toBe('cancelled')

    const completed = await create({ start: inMinutes(240), reminder_minutes_before: 15 })
    expectStatus(await api('POST', `/calendar/appointments/${completed.uuid}/complete`), 200)
    expect((await scheduled(completed.reminder.message_id)).status).toBe('cancelled')
  })

  it('sends the reminder through the chosen instance, and moves it when the instance changes', async () => {
    const appt = await create({
      start: inMinutes(300),
      reminder_minutes_before: 20,
      instance_id: second.uuid,
    })
    expect(appt.instance_id).toBe(second.id)
    expect((await scheduled(appt.reminder.message_id)).instance_id).toBe(second.id)
    const back = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { instance_id: null }),
      200,
    )
    expect(back.reminder.message_id).not.toBe(appt.reminder.message_id)
    expect((await scheduled(back.reminder.message_id)).instance_id).toBe(instance.id)
    expect((await scheduled(appt.reminder.message_id)).status).toBe('cancelled')
    expectStatus(await api('DELETE', `/calendar/appointments/${appt.uuid}`), 200)
  })

  it('keeps the appointment when its reminder cannot be queued, and says why', async () => {
    const limited = expectStatus(
      await api('POST', '/instances', { name: 'One a day', engine: 'sandbox', daily_limit: 1 }),
      201,
    )
    const first = await create({
      start: inMinutes(500),
      reminder_minutes_before: 5,
      instance_id: limited.uuid,
    })
    expect(first.reminder.status).toBe('pending')
    const second = await create({
      start: inMinutes(520),
      reminder_minutes_before: 5,
      instance_id: limited.uuid,
    })
    expect(second.status).toBe('scheduled')
    expect(second.reminder).toMatchObject({ status: 'failed', message_id: null })
    expect(second.reminder.error).toMatch(/^QUOTA_EXCEEDED: /)
    const fixed = expectStatus(
      await api('PUT', `/calendar/appointments/${second.uuid}`, { instance_id: null }),
      200,
    )
    expect(fixed.reminder).toMatchObject({ status: 'pending', error: null })
    expect((await scheduled(fixed.reminder.message_id)).instance_id).toBe(instance.id)
    for (const appt of [first, second])
      expectStatus(await api('DELETE', `/calendar/appointments/${appt.uuid}`), 200)
  })

  it('lets an sk_ token of another instance move the tenant’s appointment, reminder included', async () => {
    const sk = apiFor(app, await instanceToken(api, second))
    const appt = await create({ start: inMinutes(400), reminder_minutes_before: 10 })
    const moved = expectStatus(
      await sk('PUT', `/calendar/appointments/${appt.uuid}`, { start: inMinutes(460) }),
      200,
    )
    expect(moved.reminder).toMatchObject({
      message_id: appt.reminder.message_id,
      scheduled_at: minus(moved.start, 10),
    })
    expect(
      expectStatus(await sk('POST', `/calendar/appointments/${appt.uuid}/cancel`), 200).reminder.status,
    ).toBe('cancelled')
  })

  it('sends the reminder when it is due, and a new one if the appointment moves afterwards', async () => {
    const appt = await create({ start: inMinutes(60), reminder_minutes_before: 15 })
    await new Promise((r) => setTimeout(r, 300))
    expect((await get(appt.uuid)).reminder.status).toBe('pending')
    clock.advance(46 * 60)
    await eventually(async () => {
      const now = await get(appt.uuid)
      expect(now.reminder.status).toMatch(/sent|delivered/)
      expect(now.reminder.sent_at).toBeTruthy()
    }, 10_000)

    const retitled = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { title: 'Same time' }),
      200,
    )
    expect(retitled.reminder.message_id).toBe(appt.reminder.message_id)
    const later = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { start: inMinutes(24 * 60) }),
      200,
    )
    expect(later.reminder.message_id).not.toBe(appt.reminder.message_id)
    expect(later.reminder).toMatchObject({ status: 'pending', scheduled_at: minus(later.start, 15) })
    expectStatus(await api('DELETE', `/calendar/appointments/${appt.uuid}`), 200)
  })

  it('sends at once when booked inside the reminder window, and never for a past appointment', async () => {
    const soon = await create({ start: inMinutes(10), reminder_minutes_before: 30 })
    expect(Date.parse(soon.reminder.scheduled_at)).toBeLessThanOrEqual(clock.now().getTime())
    await eventually(async () => {
      expect((await get(soon.uuid)).reminder.status).toMatch(/sent|delivered/)
    }, 10_000)

    const past = await create({ start: inMinutes(-60), reminder_minutes_before: 30 })
    expect(past.reminder).toBeNull()
  })
})
