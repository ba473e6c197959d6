import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineEvents } from '../../src/engine/events.js'
import type { SandboxEngine } from '../../src/engine/sandbox/index.js'
import { eventually } from '../helpers/wait.js'
import { type SandboxApp, startSandboxApp } from '../instances/sandbox-app.js'
import { eventsOf } from '../instances/support.js'

describe('sandbox engine controls', () => {
  let app: SandboxApp
  let token: string
  const api = (method: string, path: string, body?: unknown) =>
    app.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) })
  const control = (uuid: string, action: string, body: unknown = {}) =>
    api('POST', `/sandbox/instances/${uuid}/${action}`, body)
  const reaches = (uuid: string, status: string) =>
    eventually(async () => expect((await api('GET', `/instances/${uuid}`)).body.data.status).toBe(status))
  const create = async (settings: Record<string, unknown> = {}) => {
    const res = await api('POST', '/instances', { name: 'Sandbox', engine: 'sandbox', settings })
    await reaches(res.body.data.uuid, 'qr_ready')
    return res.body.data as { id: number; uuid: string }
  }
  /** Collects what the instance's engine reports, from now on. */
  const record = <K extends keyof EngineEvents>(engine: SandboxEngine, event: K) => {
    const seen: EngineEvents[K][] = []
    engine.on(event, (data) => {
      seen.push(data)
    })
    return seen
  }
  let linked: { id: number; uuid: string; engine: SandboxEngine }

  beforeAll(async () => {
    app = await startSandboxApp()
    token = (await app.register()).token
    const instance = await create()
    expect((await control(instance.uuid, 'scan', { phone_number: '+1 (555) 200-3001' })).status).toBe(200)
    await reaches(instance.uuid, 'connected')
    linked = { ...instance, engine: app.engines.get(instance.uuid)! }
  })
  afterAll(() => app.close())

  it('scans the QR as a given number or a made-up one', async () => {
    const named = await create()
    const res = await control(named.uuid, 'scan', { phone_number: '5511 98888-7777' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'QR code scanned' })
    expect(res.body.data).toMatchObject({
      phone_number: '5511988887777',
      jid: '5511988887777@s.whatsapp.net',
    })
    expect(res.body.data.lid).toMatch(/^\d+@lid$/)
    await reaches(named.uuid, 'connected')
    const again = await control(named.uuid, 'scan', {})
    expect(again.status).toBe(409)

    const anonymous = await create()
    const made = await control(anonymous.uuid, 'scan')
    expect(made.status).toBe(200)
    expect(made.body.data.phone_number).toMatch(/^1555\d{7}$/)
    expect(made.body.data.phone_number).not.toMatch(/0000$/)
    const events = await eventsOf(app.db, anonymous.id)
    await eventually(async () =>
      expect((await eventsOf(app.db, anonymous.id)).at(-1)).toMatchObject({
        type: 'instance.connected',
        data: { phone_number: made.body.data.phone_number },
      }),
    )
    expect(events.length).toBeGreaterThan(0)

    const refused = await create()
    const offNetwork = await control(refused.uuid, 'scan', { phone_number: '15550000000' })
    expect(offNetwork.status).toBe(422)
    expect(offNetwork.body.error.code).toBe('NOT_ON_WHATSAPP')
    expect((await control(refused.uuid, 'scan', { phone_number: 'not-a-number' })).status).toBe(422)
    expect((await api('GET', `/instances/${refused.uuid}`)).body.data.status).toBe('qr_ready')
  })

  it('delivers an inbound message and answers its WhatsApp id', async () => {
    const messages = record(linked.engine, 'message')
    const res = await control(linked.uuid, 'inbound', {
      from: '+1 555 300 4001',
      message: 'Hello there',
      push_name: 'Ann',
    })
    expect(res.status).toBe(201)
    const id = res.body.data.whatsapp_message_id
    expect(id).toMatch(/^3EB0[0-9A-F]+$/)
    expect(res.body.data.message_id).toBe(id)
    await eventually(() => expect(messages).toHaveLength(1))
    expect(messages[0]).toMatchObject({
      id,
      direction: 'in',
      text: 'Hello there',
      chatJid: '15553004001@s.whatsapp.net',
      pushName: 'Ann',
      fromMe: false,
    })
    const media = await control(linked.uuid, 'inbound', {
      from: '15553004001',
      media_type: 'image',
      media_url: 'https://example.com/cat.jpg',
      caption: 'A cat',
      reply_to: id,
    })
    expect(media.status).toBe(201)
    await eventually(() => expect(messages).toHaveLength(2))
    expect(messages[1]).toMatchObject({ type: 'image', caption: 'A cat', quotedId: id })

    for (const body of [
      { from: '15553004001' },
      { from: '15553004001', message: '' },
      { from: '15552003001', message: 'from myself' },
      { from: 'nobody', message: 'x' },
      { from: '15553004001', media_type: 'image' },
      { from: '15553004001', media_type: 'gif', media_url: 'https://example.com/a.gif' },
      { message: 'no sender' },
    ]) {
      const bad = await control(linked.uuid, 'inbound', body)
      expect(bad.status, JSON.stringify(body)).toBe(422)
    }
    expect(messages).toHaveLength(2)
  })

  it('reports receipts for sent messages, and contacts reactions', async () => {
    const receipts = record(linked.engine, 'receipt')
    const reactions = record(linked.engine, 'reaction')
    const sent = await linked.engine.sendText({ to: '15553004002', text: 'Your order shipped' })
    for (const status of ['delivered', 'read', 'played'] as const) {
      const res = await control(linked.uuid, 'receipt', { message_id: sent.id, status })
      expect(res.status, status).toBe(200)
      expect(res.body.data).toEqual({ message_id: sent.id, status })
    }
    await eventually(() =>
      expect(receipts.filter((r) => r.messageId === sent.id).map((r) => r.status)).toEqual(
        expect.arrayContaining(['delivered', 'read', 'played']),
      ),
    )
    // A message sent through the API is named by its uuid as well.
    const queued = await api('POST', '/messages/send', {
      instance_id: linked.uuid,
      recipient: '15553004002',
      message: 'Named by uuid',
    })
    expect(queued.status).toBe(201)
    const uuid = queued.body.data.uuid as string
    await eventually(async () =>
      expect((await api('GET', `/messages/${uuid}`)).body.data.status).toBe('delivered'),
    )
    const byUuid = await control(linked.uuid, 'receipt', { message_id: uuid, status: 'read' })
    expect(byUuid.status).toBe(200)
    const whatsappId = (await api('GET', `/messages/${uuid}`)).body.data.whatsapp_message_id
    expect(byUuid.body.data).toEqual({ message_id: whatsappId, status: 'read' })
    await eventually(async () =>
      expect((await api('GET', `/messages/${uuid}`)).body.data.status).toBe('read'),
    )
    const unknown = await control(linked.uuid, 'receipt', { message_id: '3EB0NOSUCHMESSAGE', status: 'read' })
    expect(unknown.status).toBe(404)
    expect((await control(linked.uuid, 'receipt', { message_id: sent.id, status: 'seen' })).status).toBe(422)

    const reacted = await control(linked.uuid, 'reaction', {
      from: '15553004002',
      message_id: sent.id,
      emoji: '❤️',
    })
    expect(reacted.status).toBe(200)
    expect(reacted.body.data).toEqual({ message_id: sent.id, emoji: '❤️' })
    const removed = await control(linked.uuid, 'reaction', {
      from: '15553004002',
      message_id: sent.id,
      emoji: '',
    })
    expect(removed.status).toBe(200)
    await eventually(() => expect(reactions.map((r) => r.emoji)).toEqual(['❤️', '']))
    expect(reactions[0]).toMatchObject({
      messageId: sent.id,
      reactorJid: '15553004002@s.whatsapp.net',
      fromMe: false,
    })
    expect(
      (await control(linked.uuid, 'reaction', { from: 'x', message_id: sent.id, emoji: '👍' })).status,
    ).toBe(422)
  })

  it('delivers at once unless the instance says otherwise', async () => {
    const quiet = await create({ auto_deliver: false })
    await control(quiet.uuid, 'scan', {})
    await reaches(quiet.uuid, 'connected')
    const engines = [linked.engine, app.engines.get(quiet.uuid)!]
    const seen = engines.map((engine) => record(engine, 'receipt'))
    const ids = await Promise.all(
      engines.map(async (engine) => (await engine.sendText({ to: '15553004003', text: 'hi' })).id),
    )
    await eventually(() =>
      expect(seen[0]!.some((r) => r.messageId === ids[0] && r.status === 'delivered')).toBe(true),
    )
    await app.network.settle()
    expect(seen[1]!.some((r) => r.status === 'delivered')).toBe(false)
  })

  it('drops the connection, which comes back by itself', async () => {
    const { uuid, id } = await create()
    expect((await control(uuid, 'drop')).status).toBe(409)
    await control(uuid, 'scan', {})
    await reaches(uuid, 'connected')
    const res = await control(uuid, 'drop')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ message: 'Connection dropped', data: { dropped: true } })
    await reaches(uuid, 'disconnected')
    await reaches(uuid, 'connected')
    const types = (await eventsOf(app.db, id)).map((e) => `${e.type}:${e.data['reason'] ?? ''}`)
    expect(types.slice(-3)).toEqual([
      'instance.connected:',
      'instance.disconnected:connection_lost',
      'instance.connected:',
    ])
  })

  it('leaves a disconnected instance disconnected', async () => {
    const { uuid } = await create()
    await control(uuid, 'scan', {})
    await reaches(uuid, 'connected')
    expect((await api('POST', `/instances/${uuid}/disconnect`)).status).toBe(200)
    for (const [action, body] of [
      ['inbound', { from: '15553004001', message: 'anyone there?' }],
      ['drop', {}],
      ['scan', {}],
    ] as const) {
      const res = await control(uuid, action, body)
      expect(res.status, action).toBe(409)
      expect(res.body.error.code, action).toBe('INSTANCE_NOT_CONNECTED')
    }
    const row = (await api('GET', `/instances/${uuid}`)).body.data
    expect(row.status).toBe('disconnected')
    expect((await control('00000000-0000-4000-8000-000000000000', 'drop')).status).toBe(404)
  })
})
