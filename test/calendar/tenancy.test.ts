import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { type Api, apiFor, expectStatus, instanceToken, newContact, newInstance } from '../kanban/support.js'

describe('calendar tenancy and sk_ tokens', () => {
  let app: TestApp
  let alice: Api
  let bob: Api
  let aliceSk: Api
  let aliceInstance: { id: number; uuid: string }
  let contact: { id: number; uuid: string }
  let appt: any

  beforeAll(async () => {
    app = await startTestApp()
    alice = apiFor(app, (await app.register()).token)
    bob = apiFor(app, (await app.register()).token)
    aliceInstance = await newInstance(alice)
    aliceSk = apiFor(app, await instanceToken(alice, aliceInstance))
    contact = await newContact(alice, aliceInstance, '5511933332222', 'Gina')
    appt = expectStatus(
      await alice('POST', '/calendar/appointments', {
        title: 'Alice meeting',
        start: '2026-09-01T10:00:00Z',
        contact_id: contact.uuid,
      }),
      201,
    )
  })
  afterAll(() => app.close())

  it("answers 404 for every path to another tenant's appointment", async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', `/calendar/appointments/${appt.uuid}`],
      ['GET', `/calendar/appointments/${appt.numeric_id}`],
      ['PUT', `/calendar/appointments/${appt.uuid}`, { title: 'mine' }],
      ['DELETE', `/calendar/appointments/${appt.uuid}`],
      ['POST', `/calendar/appointments/${appt.uuid}/confirm`],
      ['POST', `/calendar/appointments/${appt.uuid}/complete`],
      ['POST', `/calendar/appointments/${appt.uuid}/cancel`],
      ['POST', `/calendar/appointments/${appt.uuid}/to-kanban`],
    ]
    for (const [method, path, body] of attempts) {
      expect((await bob(method, path, body)).status, `${method} ${path}`).toBe(404)
    }
    expect(expectStatus(await bob('GET', '/calendar/appointments'), 200)).toEqual([])
    expect(expectStatus(await alice('GET', `/calendar/appointments/${appt.uuid}`), 200)).toMatchObject({
      title: 'Alice meeting',
      status: 'scheduled',
    })
  })

  it("cannot book another tenant's contact or send through another tenant's instance", async () => {
    const base = { title: 'x', start: '2026-09-02T10:00:00Z' }
    expect((await bob('POST', '/calendar/appointments', { ...base, contact_id: contact.uuid })).status).toBe(
      404,
    )
    expect(
      (await bob('POST', '/calendar/appointments', { ...base, instance_id: aliceInstance.uuid })).status,
    ).toBe(404)
    expect((await bob('GET', `/calendar/appointments?contact_id=${contact.uuid}`)).status).toBe(404)
  })

  it("lets an sk_ token work the tenant's calendar", async () => {
    const listed = expectStatus(await aliceSk('GET', '/calendar/appointments'), 200)
    expect(listed.map((a: any) => a.uuid)).toEqual([appt.uuid])
    const made = expectStatus(
      await aliceSk('POST', '/calendar/appointments', {
        title: 'Booked by the bot',
        start: '2026-09-03T10:00',
        contact_id: contact.uuid,
      }),
      201,
    )
    expect(made).toMatchObject({ created_by: 'CRM integration', timezone: 'UTC' })
    expectStatus(await aliceSk('POST', `/calendar/appointments/${made.uuid}/confirm`), 200)
    expectStatus(await aliceSk('POST', '/kanban/boards', { name: 'Bot board' }), 201)
    const lead = expectStatus(await aliceSk('POST', `/calendar/appointments/${made.uuid}/to-kanban`), 201)
    expect(lead.contact_id).toBe(contact.id)
    expect(expectStatus(await alice('GET', `/calendar/appointments/${made.uuid}`), 200).lead_uuid).toBe(
      lead.uuid,
    )

    // Another instance's token reaches the calendar but not that instance's contacts.
    const otherSk = apiFor(app, await instanceToken(alice, await newInstance(alice, 'Other')))
    expect(expectStatus(await otherSk('GET', `/calendar/appointments/${made.uuid}`), 200).uuid).toBe(
      made.uuid,
    )
    const foreign = await otherSk('POST', '/calendar/appointments', {
      title: 'x',
      start: '2026-09-04T10:00:00Z',
      contact_id: contact.uuid,
    })
    expect(foreign.status).toBe(404)
  })

  it('needs a token', async () => {
    expect((await app.request('GET', '/api/v1/calendar/appointments')).status).toBe(401)
  })
})
