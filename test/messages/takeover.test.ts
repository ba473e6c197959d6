import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

describe('messages left in flight by a sender that is gone', () => {
  let app: TestApp
  let token: string
  let uuid: string

  beforeAll(async () => {
    app = await startTestApp()
    token = (await app.register()).token
    const created = await app.request('POST', '/api/v1/instances', {
      token,
      body: { name: 'Takeover', engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
    })
    uuid = created.body.data.uuid
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token })
      expect(res.body.data.status).toBe('qr_ready')
    })
    await app.request('POST', `/api/v1/sandbox/instances/${uuid}/scan`, {
      token,
      body: { phone_number: '15550007777' },
    })
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${uuid}`, { token })
      expect(res.body.data.status).toBe('connected')
    })
  })
  afterAll(() => app.close())

  it('are sent as soon as the instance comes back, not when their hold lapses', async () => {
    await app.request('POST', `/api/v1/instances/${uuid}/disconnect`, { token })
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token,
      body: { instance_id: uuid, recipient: '+15550008888', message: 'left in flight' },
    })
    expect(queued.status).toBe(201)
    // As a process killed mid-send leaves it: one attempt made, held for two minutes.
    const heldUntil = new Date(Date.now() + 120_000).toISOString()
    await app.database.db
      .updateTable('messages')
      .set({ attempts: 1, next_attempt_at: heldUntil })
      .where('uuid', '=', queued.body.data.uuid)
      .execute()

    await app.request('POST', `/api/v1/instances/${uuid}/reconnect`, { token })
    const sent = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${queued.body.data.uuid}`, { token })
      expect(['sent', 'delivered']).toContain(res.body.data.status)
      return res.body.data
    }, 10_000)
    expect(sent.whatsapp_message_id).toBe(queued.body.data.whatsapp_message_id)
  })
})
