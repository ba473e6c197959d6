import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

describe('scheduled messages', () => {
  const clock = manualClock(new Date())
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp({ clock })
    owner = await app.register()
    instance = (
      await app.request('POST', '/api/v1/instances', {
        token: owner.token,
        body: { name: 'Reminders', engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
      })
    ).body.data
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
      expect(res.body.data.status).toBe('qr_ready')
    })
    await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/scan`, {
      token: owner.token,
      body: {},
    })
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token: owner.token })
      expect(res.body.data.status).toBe('connected')
    })
  })
  afterAll(() => app.close())

  const schedule = (minutes: number, message: string) =>
    app.request('POST', '/api/v1/scheduled', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        recipient: '+5511999990001',
        message,
        scheduled_at: new Date(clock.now().getTime() + minutes * 60_000).toISOString(),
      },
    })

  it('keeps a message until it is due, then sends it once', async () => {
    const created = await schedule(30, 'Your appointment is tomorrow')
    expect(created.status).toBe(201)
    expect(created.body.data).toMatchObject({
      status: 'pending',
      recipient: '5511999990001',
      id: created.body.data.uuid,
    })
    await new Promise((r) => setTimeout(r, 300))
    const waiting = await app.request('GET', `/api/v1/scheduled/${created.body.data.uuid}`, {
      token: owner.token,
    })
    expect(waiting.body.data.status).toBe('pending')
    clock.advance(31 * 60)
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/scheduled/${created.body.data.uuid}`, {
        token: owner.token,
      })
      expect(res.body.data.status).toMatch(/sent|delivered/)
    }, 8000)
  })

  it('refuses a time in the past', async () => {
    const res = await schedule(-5, 'Too late')
    expect(res.status).toBe(422)
    expect(res.body.error.details.scheduled_at).toBeDefined()
  })

  it('updates, sends now and cancels only while pending', async () => {
    const a = (await schedule(60, 'first')).body.data
    const patched = await app.request('PATCH', `/api/v1/scheduled/${a.uuid}`, {
      token: owner.token,
      body: { message: 'first, edited' },
    })
    expect(patched.body.data.message).toBe('first, edited')
    const cancelled = await app.request('DELETE', `/api/v1/scheduled/${a.uuid}`, { token: owner.token })
    expect(cancelled.body.data.status).toBe('cancelled')
    const again = await app.request('POST', `/api/v1/scheduled/${a.uuid}/send-now`, { token: owner.token })
    expect(again.status).toBe(409)

    const b = (await schedule(60, 'second')).body.data
    const now = await app.request('POST', `/api/v1/scheduled/${b.uuid}/send-now`, { token: owner.token })
    expect(now.status).toBe(200)
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/scheduled/${b.uuid}`, { token: owner.token })
      expect(res.body.data.status).toMatch(/sent|delivered/)
    }, 8000)
    const list = await app.request('GET', '/api/v1/scheduled?status=cancelled', { token: owner.token })
    expect(list.body.data.map((s: any) => s.uuid)).toEqual([a.uuid])
  })
})
