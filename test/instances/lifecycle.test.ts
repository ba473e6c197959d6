import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { type SandboxApp, startSandboxApp } from './sandbox-app.js'
import { eventsOf } from './support.js'

describe('instance lifecycle on the sandbox engine', () => {
  let app: SandboxApp
  let token: string
  const api = (method: string, path: string, body?: unknown) =>
    app.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) })
  const create = async (settings: Record<string, unknown> = {}) => {
    const res = await api('POST', '/instances', { name: 'Life', engine: 'sandbox', settings })
    expect(res.status).toBe(201)
    return res.body.data as { id: number; uuid: string }
  }
  const statusOf = async (uuid: string) => (await api('GET', `/instances/${uuid}/status`)).body.data
  const reaches = (uuid: string, status: string) =>
    eventually(async () => {
      const data = await statusOf(uuid)
      expect(data.status).toBe(status)
      return data
    })

  beforeAll(async () => {
    app = await startSandboxApp()
    token = (await app.register()).token
  })
  afterAll(() => app.close())

  it('goes through every status, with an outbox event for each change', async () => {
    const { id, uuid } = await create()
    await reaches(uuid, 'qr_ready')
    const qr = (await api('GET', `/instances/${uuid}/qr`)).body.data
    expect(qr).toMatchObject({ status: 'qr_ready', qr_expired: false, message: 'QR code ready to scan' })
    expect(qr.qr_code).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]{100,}$/)
    expect(qr.qr_code_text).toMatch(/^2@/)
    expect(qr.qr).toBe(qr.qr_code_text)
    expect(Date.parse(qr.qr_generated_at)).toBeGreaterThan(Date.now() - 60_000)

    expect(
      (await api('POST', `/sandbox/instances/${uuid}/scan`, { phone_number: '15551112222' })).status,
    ).toBe(200)
    const connected = await reaches(uuid, 'connected')
    expect(connected).toMatchObject({
      connected: true,
      connecting: false,
      phone: '15551112222',
      platform: 'sandbox',
    })
    expect(connected.connected_at).toMatch(/Z$/)
    expect(connected.lastHeartbeat).toMatch(/Z$/)
    expect(connected).not.toHaveProperty('realtime')
    const live = (await api('GET', `/instances/${uuid}/status?realtime=true`)).body.data
    expect(live.realtime).toEqual({ checked: true, engine_status: 'connected' })
    expect(live.uptime).toBeGreaterThanOrEqual(0)
    const afterScan = (await api('GET', `/instances/${uuid}/qr`)).body.data
    expect(afterScan).toMatchObject({ status: 'connected', qr_code: null, qr_code_text: null, qr: null })
    expect(afterScan.message).toMatch(/already connected/)

    const disconnected = await api('POST', `/instances/${uuid}/disconnect`)
    expect(disconnected.status).toBe(200)
    expect(disconnected.body.message).toBe('Instance disconnected')
    expect(disconnected.body.data).toMatchObject({ status: 'disconnected', connected: false })
    await reaches(uuid, 'disconnected')
    const offline = (await api('GET', `/instances/${uuid}/status?realtime=true`)).body.data
    expect(offline).toMatchObject({
      connected: false,
      uptime: 0,
      realtime: { checked: false, engine_status: null },
    })

    // The session was kept: no QR, the same number.
    const reconnected = await api('POST', `/instances/${uuid}/reconnect`)
    expect(reconnected.status).toBe(200)
    expect(reconnected.body.message).toBe('Reconnection started')
    expect((await reaches(uuid, 'connected')).phone_number).toBe('15551112222')

    expect((await api('POST', `/sandbox/instances/${uuid}/drop`)).status).toBe(200)
    await reaches(uuid, 'disconnected')
    expect((await reaches(uuid, 'connected')).phone_number).toBe('15551112222')

    const loggedOut = await api('POST', `/instances/${uuid}/logout`)
    expect(loggedOut.status).toBe(200)
    expect(loggedOut.body.data).toMatchObject({ status: 'logged_out', phone_number: null, connected: false })
    expect(
      await app.database.db
        .selectFrom('instance_auth_creds')
        .where('instance_id', '=', id)
        .selectAll()
        .execute(),
    ).toEqual([])
    expect((await api('GET', `/instances/${uuid}/qr`)).body.data).toMatchObject({
      status: 'logged_out',
      qr_code: null,
    })

    // A new link needs a new QR.
    await api('POST', `/instances/${uuid}/reconnect`)
    await reaches(uuid, 'qr_ready')
    await api('POST', `/sandbox/instances/${uuid}/scan`, { phone_number: '15553334444' })
    expect((await reaches(uuid, 'connected')).phone_number).toBe('15553334444')

    const events = await eventsOf(app.database.db, id)
    const changes = events.map((e) => `${e.type} ${e.data['previous_status']}>${e.data['new_status']}`)
    expect(changes).toEqual([
      'instance.qr connecting>qr_ready',
      'instance.connected qr_ready>connected',
      'instance.disconnected connected>disconnected',
      'instance.connected connecting>connected',
      'instance.disconnected connected>disconnected',
      'instance.connected connecting>connected',
      'instance.disconnected connected>logged_out',
      'instance.qr connecting>qr_ready',
      'instance.connected qr_ready>connected',
    ])
    expect(events[0]!.data).toMatchObject({ qr_code_text: qr.qr_code_text, qr: qr.qr_code_text })
    expect(events[1]!.data).toEqual({
      previous_status: 'qr_ready',
      new_status: 'connected',
      phone_number: '15551112222',
    })
    expect(events[2]!.data).toMatchObject({ reason: 'closed', status_code: null })
    expect(events[4]!.data).toMatchObject({ reason: 'connection_lost', status_code: 428 })
    expect(events[6]!.data).toMatchObject({ reason: 'logged_out', status_code: 401 })
    expect(events[8]!.data).toMatchObject({ phone_number: '15553334444' })
  })

  it('rotates the QR and ends the attempt when the last one times out', async () => {
    const { id, uuid } = await create({ qr_ttl_seconds: 2, qr_max_count: 2 })
    await reaches(uuid, 'qr_ready')
    const first = (await api('GET', `/instances/${uuid}/qr`)).body.data
    const second = await eventually(async () => {
      const data = (await api('GET', `/instances/${uuid}/qr`)).body.data
      expect(Date.parse(data.qr_generated_at)).toBeGreaterThan(Date.parse(first.qr_generated_at))
      return data
    })
    // The superseded code is gone; the new one is shown while its 2 s last. A loaded machine may
    // read it later than that: then it is shown as expired, without its text.
    const age = Date.now() - Date.parse(second.qr_generated_at)
    if (age < 1500) {
      expect(second.status).toBe('qr_ready')
      expect(second.qr_expired).toBe(false)
      expect(second.qr_code_text).toMatch(/^2@/)
      expect(second.qr_code_text).not.toBe(first.qr_code_text)
    }
    if (age > 2500) expect(second).toMatchObject({ qr_expired: true, qr_code_text: null })

    const ended = await reaches(uuid, 'disconnected')
    expect(ended.last_error).toBe('qr_timeout')
    const qr = (await api('GET', `/instances/${uuid}/qr`)).body.data
    expect(qr).toMatchObject({
      status: 'disconnected',
      qr_code: null,
      qr_code_text: null,
      qr: null,
      qr_expired: true,
    })
    expect(qr.qr_generated_at).not.toBeNull()
    const types = (await eventsOf(app.database.db, id)).map((e) => e.type)
    expect(types).toEqual(['instance.qr', 'instance.qr', 'instance.disconnected'])
    expect((await eventsOf(app.database.db, id))[2]!.data).toMatchObject({
      reason: 'qr_timeout',
      status_code: 408,
    })

    // No QR on show: nothing to scan until the instance reconnects.
    expect((await api('POST', `/sandbox/instances/${uuid}/scan`, {})).status).toBe(409)
    await api('POST', `/instances/${uuid}/reconnect`)
    await reaches(uuid, 'qr_ready')
    expect((await api('POST', `/sandbox/instances/${uuid}/scan`, {})).status).toBe(200)
    await reaches(uuid, 'connected')
  })

  it('links with a pairing code instead of a QR', async () => {
    const { uuid } = await create()
    await reaches(uuid, 'qr_ready')
    for (const [phone, status, code] of [
      ['15550000000', 422, 'NOT_ON_WHATSAPP'],
      ['not a phone', 422, 'VALIDATION_ERROR'],
      ['123', 422, 'VALIDATION_ERROR'],
    ] as const) {
      const res = await api('POST', `/instances/${uuid}/pairing-code`, { phone_number: phone })
      expect(res.status, phone).toBe(status)
      expect(res.body.error.code, phone).toBe(code)
    }
    const res = await api('POST', `/instances/${uuid}/pairing-code`, { phone_number: '+1 555 987 6543' })
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ phone_number: '+1 555 987 6543' })
    expect(res.body.data.pairing_code).toMatch(/^[A-Z0-9]{8}$/)
    expect(res.body.data.code).toBe(res.body.data.pairing_code)
    // Typing the code on that phone links it as that number.
    expect((await api('POST', `/sandbox/instances/${uuid}/scan`, {})).body.data.phone_number).toBe(
      '15559876543',
    )
    await reaches(uuid, 'connected')
    const again = await api('POST', `/instances/${uuid}/pairing-code`, { phone_number: '15559876543' })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('CONFLICT')

    // After a logout the instance is not connected anywhere: asking for a code connects it again.
    await api('POST', `/instances/${uuid}/logout`)
    await reaches(uuid, 'logged_out')
    const fresh = await api('POST', `/instances/${uuid}/pairing-code`, { phone_number: '15557654321' })
    expect(fresh.status).toBe(200)
    expect((await api('POST', `/sandbox/instances/${uuid}/scan`, {})).body.data.phone_number).toBe(
      '15557654321',
    )
    expect((await reaches(uuid, 'connected')).phone_number).toBe('15557654321')
  })

  it('shows a QR as expired once its time is up, before the next one replaces it', async () => {
    const clock = manualClock(new Date())
    const timed = await startSandboxApp({ clock })
    try {
      const as = (await timed.register()).token
      const made = await timed.request('POST', '/api/v1/instances', {
        token: as,
        body: { name: 'Slow', engine: 'sandbox', settings: { qr_ttl_seconds: 30 } },
      })
      const qr = () => timed.request('GET', `/api/v1/instances/${made.body.data.uuid}/qr`, { token: as })
      await eventually(async () =>
        expect((await qr()).body.data).toMatchObject({ status: 'qr_ready', qr_expired: false }),
      )
      // The engine times its QRs on the real clock; the API reads the application's.
      clock.set(new Date(Date.now() + 31_000))
      const expired = (await qr()).body.data
      expect(expired).toMatchObject({
        status: 'qr_ready',
        qr_code: null,
        qr_code_text: null,
        qr_expired: true,
      })
      expect(expired.qr_generated_at).not.toBeNull()
    } finally {
      await timed.close()
    }
  })
})
