import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

describe('instances with the sandbox engine', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
  })
  afterAll(() => app.close())

  it('creates an instance, shows its QR, connects when scanned', async () => {
    const created = await app.request('POST', '/api/v1/instances', {
      token: owner.token,
      body: { name: 'Support', engine: 'sandbox' },
    })
    expect(created.status).toBe(201)
    const instance = created.body.data
    expect(instance).toMatchObject({
      name: 'Support',
      engine: 'sandbox',
      daily_limit: 500,
      remaining_quota: 500,
    })
    expect(typeof instance.id).toBe('number')

    const qr = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
      expect(res.body.data.status).toBe('qr_ready')
      return res.body.data
    })
    expect(qr.qr_code).toMatch(/^data:image\/png;base64,/)
    expect(qr.qr_code_text).toBe(qr.qr)
    expect(qr.qr_expired).toBe(false)

    const scan = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/scan`, {
      token: owner.token,
      body: { phone_number: '+1 555 123 4567' },
    })
    expect(scan.status).toBe(200)
    expect(scan.body.data.phone_number).toBe('15551234567')

    const status = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.id}/status`, { token: owner.token })
      expect(res.body.data.status).toBe('connected')
      return res.body.data
    })
    expect(status).toMatchObject({ connected: true, phone_number: '15551234567', phoneNumber: '15551234567' })

    const events = await app.database.db.selectFrom('events').select(['type']).orderBy('id').execute()
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['instance.qr', 'instance.connected']))
  })
})
