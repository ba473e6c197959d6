import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

describe('sending and receiving through a sandbox instance', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    const created = await app.request('POST', '/api/v1/instances', {
      token: owner.token,
      body: { name: 'Sales', engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
    })
    instance = created.body.data
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
      expect(res.body.data.status).toBe('qr_ready')
    })
    await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/scan`, {
      token: owner.token,
      body: { phone_number: '15550001111' },
    })
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token: owner.token })
      expect(res.body.data.status).toBe('connected')
    })
  })
  afterAll(() => app.close())

  it('queues a message, sends it, and tracks its status to delivered and read', async () => {
    const res = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: '+1 555 222 3333', message: 'Hello there' },
    })
    expect(res.status).toBe(201)
    expect(res.body.message).toBe('Message added to queue')
    expect(res.body.data).toMatchObject({
      status: 'pending',
      remaining_quota: 499,
      delay_seconds: expect.any(Number),
    })
    const uuid = res.body.data.uuid
    const delivered = await eventually(async () => {
      const status = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(status.body.data.status).toBe('delivered')
      return status.body.data
    })
    expect(delivered.sent_at).not.toBeNull()

    const message = (await app.request('GET', `/api/v1/messages/${uuid}`, { token: owner.token })).body.data
    await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/receipt`, {
      token: owner.token,
      body: { message_id: message.whatsapp_message_id, status: 'read' },
    })
    await eventually(async () => {
      const status = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(status.body.data.status).toBe('read')
    })
  })

  it('stores an incoming message once, with its contact and conversation', async () => {
    const res = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/inbound`, {
      token: owner.token,
      body: { from: '+1 555 444 5555', message: 'Olá, preciso de ajuda', push_name: 'Maria' },
    })
    expect(res.status).toBe(201)
    const waId = res.body.data.whatsapp_message_id
    const found = await eventually(async () => {
      const list = await app.request('GET', '/api/v1/messages?direction=incoming', { token: owner.token })
      const hit = list.body.data.find((m: any) => m.whatsapp_message_id === waId)
      expect(hit).toBeDefined()
      return hit
    })
    expect(found).toMatchObject({
      sender_number: '15554445555',
      sender_name: 'Maria',
      message_body: 'Olá, preciso de ajuda',
    })
    const search = await app.request('GET', '/api/v1/messages?search=ajuda', { token: owner.token })
    expect(search.body.data.map((m: any) => m.uuid)).toEqual([found.uuid])
    const accents = await app.request('GET', '/api/v1/messages?search=ola', { token: owner.token })
    expect(accents.body.data.map((m: any) => m.uuid)).toEqual([found.uuid])
  })
})
