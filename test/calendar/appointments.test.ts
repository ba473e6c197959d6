import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { type Api, apiFor, expectStatus, newContact, newInstance } from '../kanban/support.js'

describe('calendar appointments', () => {
  let app: TestApp
  let api: Api
  let contact: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp()
    api = apiFor(app, (await app.register()).token)
    contact = await newContact(api, await newInstance(api), '5511944443333', 'Dana Client')
  })
  afterAll(() => app.close())

  const create = (body: object) => api('POST', '/calendar/appointments', body)

  it('creates an appointment read in its time zone, shown with the uuid as id', async () => {
    const res = await create({
      title: 'Consultation',
      description: 'First visit',
      location: 'Av. Paulista 1000',
      contact_id: contact.uuid,
      start: '2026-03-10T09:00:00',
      end: '2026-03-10T09:45',
      timezone: 'America/Sao_Paulo',
    })
    const data = expectStatus(res, 201)
    expect(data).toMatchObject({
      id: data.uuid,
      title: 'Consultation',
      description: 'First visit',
      location: 'Av. Paulista 1000',
      contact_id: contact.id,
      contact_uuid: contact.uuid,
      contact: { id: contact.id, name: 'Dana Client', phone_number: '5511944443333' },
      start: '2026-03-10T12:00:00.000Z',
      end: '2026-03-10T12:45:00.000Z',
      start_local: '2026-03-10T09:00:00',
      end_local: '2026-03-10T09:45:00',
      timezone: 'America/Sao_Paulo',
      duration_minutes: 45,
      status: 'scheduled',
      reminder: null,
      lead_id: null,
      created_by: 'Test User',
    })
    expect(expectStatus(await api('GET', `/calendar/appointments/${data.numeric_id}`), 200).uuid).toBe(
      data.uuid,
    )
  })

  it('takes an offset, the other spellings, a one-hour default length, and the user’s time zone', async () => {
    const offset = expectStatus(
      await create({ title: 'Call', starts_at: '2026-03-11T10:00:00-05:00', contact: String(contact.id) }),
      201,
    )
    expect(offset).toMatchObject({
      start: '2026-03-11T15:00:00.000Z',
      end: '2026-03-11T16:00:00.000Z',
      timezone: 'UTC',
      contact_id: contact.id,
    })
    expectStatus(await api('PATCH', '/auth/me', { timezone: 'Asia/Tokyo' }), 200)
    const local = expectStatus(
      await create({ title: 'Tokyo', start_time: '2026-03-12T09:00', end_time: '2026-03-12T10:30' }),
      201,
    )
    expect(local).toMatchObject({
      start: '2026-03-12T00:00:00.000Z',
      timezone: 'Asia/Tokyo',
      duration_minutes: 90,
    })
    expectStatus(await api('PATCH', '/auth/me', { timezone: 'UTC' }), 200)
  })

  it('validates times, the time zone, the status and what a reminder needs', async () => {
    const bad = async (body: object, field: string) => {
      const res = await create({ title: 'x', start: '2026-03-10T09:00:00Z', ...body })
      expect(res.status, JSON.stringify(body)).toBe(422)
      expect(res.body.error.details[field], JSON.stringify(res.body)).toBeDefined()
    }
    await bad({ end: '2026-03-10T08:00:00Z' }, 'end')
    await bad({ end: '2026-03-10T09:00:00Z' }, 'end')
    await bad({ start: 'next tuesday' }, 'start')
    await bad({ start: undefined }, 'start')
    await bad({ timezone: 'Mars/Olympus' }, 'timezone')
    await bad({ status: 'completed' }, 'status')
    await bad({ reminder_minutes_before: 30 }, 'reminder_minutes_before')
    await bad({ reminder_minutes_before: -5, contact_id: contact.uuid }, 'reminder_minutes_before')
    expect((await create({ start: '2026-03-10T09:00:00Z' })).status).toBe(422)
    expect((await create({ title: 'x', start: '2026-03-10T09:00:00Z', contact_id: '999999' })).status).toBe(
      404,
    )
  })

  it('updates fields; moving the start alone keeps the length', async () => {
    const appt = expectStatus(
      await create({
        title: 'Move me',
        start: '2026-04-01T14:00:00Z',
        end: '2026-04-01T14:30:00Z',
        location: 'Room 1',
      }),
      201,
    )
    const moved = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, { start: '2026-04-02T10:00:00Z' }),
      200,
    )
    expect(moved).toMatchObject({
      start: '2026-04-02T10:00:00.000Z',
      end: '2026-04-02T10:30:00.000Z',
      location: 'Room 1',
    })
    const edited = expectStatus(
      await api('PUT', `/calendar/appointments/${appt.uuid}`, {
        title: 'Moved',
        location: null,
        description: 'Bring documents',
        timezone: 'Europe/Lisbon',
        end: '2026-04-02T12:00',
        contact_id: contact.uuid,
      }),
      200,
    )
    expect(edited).toMatchObject({
      title: 'Moved',
      location: null,
      description: 'Bring documents',
      timezone: 'Europe/Lisbon',
      start: '2026-04-02T10:00:00.000Z',
      end: '2026-04-02T11:00:00.000Z',
      contact_id: contact.id,
    })
    expect(
      (await api('PUT', `/calendar/appointments/${appt.uuid}`, { end: '2026-04-02T09:00:00Z' })).status,
    ).toBe(422)
    expect(
      expectStatus(await api('PUT', `/calendar/appointments/${appt.uuid}`, { contact_id: null }), 200)
        .contact,
    ).toBeNull()
  })

  it('confirms, completes and cancels, refusing transitions that make no sense', async () => {
    const make = async () =>
      expectStatus(await create({ title: 'T', start: '2026-05-01T10:00:00Z' }), 201).uuid as string
    const action = (uuid: string, what: string, body?: object) =>
      api('POST', `/calendar/appointments/${uuid}/${what}`, body)
    const refused = async (uuid: string, what: string) => {
      const res = await action(uuid, what)
      expect(res.status, what).toBe(409)
      expect(res.body.error.code).toBe('INVALID_TRANSITION')
    }

    const a = await make()
    const confirmed = expectStatus(await action(a, 'confirm'), 200)
    expect(confirmed.status).toBe('confirmed')
    expect(confirmed.confirmed_at).toBeTruthy()
    await refused(a, 'confirm')
    const completed = expectStatus(await action(a, 'complete'), 200)
    expect(completed.status).toBe('completed')
    await refused(a, 'confirm')
    await refused(a, 'cancel')
    await refused(a, 'complete')

    const b = await make()
    const cancelled = expectStatus(await action(b, 'cancel', { reason: 'Client sick' }), 200)
    expect(cancelled).toMatchObject({ status: 'cancelled', cancel_reason: 'Client sick' })
    await refused(b, 'complete')
    await refused(b, 'confirm')
    await refused(b, 'cancel')
    const viaPut = await api('PUT', `/calendar/appointments/${b}`, { status: 'scheduled', title: 'Changed' })
    expect(viaPut.status).toBe(409)
    expect(expectStatus(await api('GET', `/calendar/appointments/${b}`), 200).title).toBe('T')

    const c = await make()
    expect(expectStatus(await action(c, 'complete'), 200).status).toBe('completed')
    const d = await make()
    expect(
      expectStatus(await api('PUT', `/calendar/appointments/${d}`, { status: 'confirmed' }), 200).status,
    ).toBe('confirmed')
    expect(
      expectStatus(await api('PUT', `/calendar/appointments/${d}`, { status: 'cancelled' }), 200).status,
    ).toBe('cancelled')
    expect(
      expectStatus(await create({ title: 'Sure', start: '2026-05-02T10:00:00Z', status: 'confirmed' }), 201)
        .status,
    ).toBe('confirmed')
  })

  it('lists by range, status and contact, soonest first', async () => {
    const other = await newContact(api, await newInstance(api, 'Second'), '5511911112222', 'Eve')
    const at = (day: number, hour: number) =>
      `2026-06-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`
    const one = expectStatus(
      await create({ title: 'June 10', start: at(10, 9), contact_id: other.uuid }),
      201,
    )
    const two = expectStatus(await create({ title: 'June 11', start: at(11, 9), end: at(11, 17) }), 201)
    const three = expectStatus(
      await create({ title: 'June 12', start: at(12, 9), contact_id: other.uuid }),
      201,
    )
    expectStatus(await api('POST', `/calendar/appointments/${three.uuid}/cancel`), 200)
    const titles = async (query: string) =>
      expectStatus(await api('GET', `/calendar/appointments?${query}`), 200).map((a: any) => a.title)

    expect(await titles('from=2026-06-10&to=2026-06-12T00:00:00Z')).toEqual(['June 10', 'June 11'])
    expect(await titles('from=2026-06-11T12:00:00Z&to=2026-06-11T13:00:00Z')).toEqual(['June 11'])
    expect(await titles('from=2026-06-11&to=2026-06-11')).toEqual(['June 11'])
    expect(await titles(`contact_id=${other.uuid}`)).toEqual(['June 10', 'June 12'])
    expect(await titles('status=cancelled&from=2026-06-01')).toEqual(['June 12'])
    expect(await titles('status=scheduled,cancelled&from=2026-06-01')).toEqual([
      'June 10',
      'June 11',
      'June 12',
    ])
    expect((await api('GET', '/calendar/appointments?status=maybe')).status).toBe(422)
    expect((await api('GET', '/calendar/appointments?from=soon')).status).toBe(422)
    const page = await api('GET', '/calendar/appointments?from=2026-06-01&per_page=2&page=2')
    expect(expectStatus(page, 200).map((a: any) => a.uuid)).toEqual([three.uuid])
    expect(page.body.meta.pagination).toMatchObject({ total: 3, last_page: 2 })
    expect(one.contact.name).toBe('Eve')
    expect(two.contact).toBeNull()
  })

  it('deletes an appointment', async () => {
    const appt = expectStatus(await create({ title: 'Gone', start: '2026-07-01T10:00:00Z' }), 201)
    expect((await api('DELETE', `/calendar/appointments/${appt.uuid}`)).status).toBe(200)
    expect((await api('GET', `/calendar/appointments/${appt.uuid}`)).status).toBe(404)
    expect((await api('DELETE', `/calendar/appointments/${appt.uuid}`)).status).toBe(404)
  })

  it('makes a kanban lead for the appointment’s contact, once', async () => {
    const noBoard = expectStatus(
      await create({ title: 'Early', start: '2026-08-01T10:00:00Z', contact_id: contact.uuid }),
      201,
    )
    const none = await api('POST', `/calendar/appointments/${noBoard.uuid}/to-kanban`)
    expect(none.status).toBe(422)
    expect(none.body.error.details.board_id).toBeDefined()

    const first = expectStatus(
      await api('POST', '/kanban/boards', { name: 'First', columns: ['Leads', 'Later'] }),
      201,
    )
    const second = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Second', columns: ['S1', 'S2'] }),
      201,
    )
    const made = await api('POST', `/calendar/appointments/${noBoard.uuid}/to-kanban`)
    const lead = expectStatus(made, 201)
    expect(lead).toMatchObject({
      board_uuid: first.uuid,
      column_name: 'Leads',
      title: 'Early',
      contact_id: contact.id,
      status: 'open',
    })
    const [activity] = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(activity).toMatchObject({ type: 'created', data: { appointment_uuid: noBoard.uuid } })
    expect(expectStatus(await api('GET', `/calendar/appointments/${noBoard.uuid}`), 200)).toMatchObject({
      lead_id: lead.numeric_id,
      lead_uuid: lead.uuid,
    })
    expect((await api('POST', `/calendar/appointments/${noBoard.uuid}/to-kanban`)).status).toBe(409)

    const chosen = expectStatus(
      await create({
        title: 'Chosen',
        description: 'Wants a quote',
        start: '2026-08-02T10:00:00Z',
        contact_id: contact.uuid,
      }),
      201,
    )
    const inColumn = expectStatus(
      await api('POST', `/calendar/appointments/${chosen.uuid}/to-kanban`, {
        column_id: second.columns[1].uuid,
        title: 'Quote for Dana',
        value: 900,
      }),
      201,
    )
    expect(inColumn).toMatchObject({
      column_name: 'S2',
      title: 'Quote for Dana',
      value: 900,
      notes: 'Wants a quote',
    })
    const byBoard = expectStatus(
      await create({ title: 'Board', start: '2026-08-03T10:00:00Z', contact_id: contact.uuid }),
      201,
    )
    expect(
      expectStatus(
        await api('POST', `/calendar/appointments/${byBoard.uuid}/to-kanban`, { board_id: second.uuid }),
        201,
      ).column_name,
    ).toBe('S1')

    const nobody = expectStatus(await create({ title: 'Nobody', start: '2026-08-04T10:00:00Z' }), 201)
    const refused = await api('POST', `/calendar/appointments/${nobody.uuid}/to-kanban`)
    expect(refused.status).toBe(422)
    expect(refused.body.error.details.contact_id).toBeDefined()
  })
})
