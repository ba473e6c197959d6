import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'

describe('daily quota', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
  })
  afterAll(() => app.close())

  it('counts down remaining_quota and refuses past the daily limit with 429 QUOTA_EXCEEDED', async () => {
    const instance = (
      await app.request('POST', '/api/v1/instances', {
        token: owner.token,
        body: { name: 'Q', engine: 'sandbox', daily_limit: 2 },
      })
    ).body.data
    const send = () =>
      app.request('POST', '/api/v1/messages/send', {
        token: owner.token,
        body: { instance_id: instance.uuid, recipient: '15557770000', message: 'hi' },
      })
    expect((await send()).body.data.remaining_quota).toBe(1)
    expect((await send()).body.data.remaining_quota).toBe(0)
    const refused = await send()
    expect(refused.status).toBe(429)
    expect(refused.body.error.code).toBe('QUOTA_EXCEEDED')
    expect(refused.body.error.details).toEqual({ daily_limit: 2, remaining_quota: 0 })
    const stored = await app.database.db
      .selectFrom('messages')
      .select('id')
      .where('instance_id', '=', instance.id)
      .execute()
    expect(stored).toHaveLength(2)
    const shown = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token: owner.token })
    expect(shown.body.data).toMatchObject({
      messages_sent_today: 2,
      remaining_quota: 0,
      can_send_messages: false,
    })
  })

  it('never lets concurrent sends overshoot the limit', async () => {
    const instance = (
      await app.request('POST', '/api/v1/instances', {
        token: owner.token,
        body: { name: 'R', engine: 'sandbox', daily_limit: 5 },
      })
    ).body.data
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        app.request('POST', '/api/v1/messages/send', {
          token: owner.token,
          body: { instance_id: instance.uuid, recipient: `1555888000${i % 10}`, message: `m${i}` },
        }),
      ),
    )
    const queued = results.filter((r) => r.status === 201)
    expect(queued).toHaveLength(5)
    expect(results.filter((r) => r.status === 429)).toHaveLength(7)
    // Each queued send is told its own place in the day's quota, however they were grouped.
    expect(queued.map((r) => r.body.data.remaining_quota).sort()).toEqual([0, 1, 2, 3, 4])
  })
})
