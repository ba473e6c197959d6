import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { incomingPayload, instanceWithToken, postInbound } from './support.js'

describe('inbound worker endpoints', () => {
  let app: TestApp
  let ctx: Awaited<ReturnType<typeof instanceWithToken>>
  let other: Awaited<ReturnType<typeof instanceWithToken>>
  let workerSecret: string

  const signed = (
    path: string,
    body: unknown,
    secret = workerSecret,
    headers: Record<string, string> = {},
  ) => {
    const raw = JSON.stringify(body)
    return app.request('POST', path, {
      rawBody: raw,
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': createHmac('sha256', secret).update(raw).digest('hex'),
        ...headers,
      },
    })
  }
  const path = (kind: string, uuid = ctx.instance.uuid) => `/api/v1/webhooks/instance/${uuid}/${kind}`
  const messagesOf = async (query: string) =>
    (await app.request('GET', `/api/v1/messages${query}`, { token: ctx.owner.token })).body.data
  const byWaId = async (waId: string) =>
    (await messagesOf('?per_page=100')).filter((m: any) => m.whatsapp_message_id === waId)

  beforeAll(async () => {
    app = await startTestApp()
    ctx = await instanceWithToken(app)
    other = await instanceWithToken(app)
    const res = await app.request('POST', `/api/v1/instances/${ctx.instance.uuid}/worker-secret`, {
      token: ctx.owner.token,
    })
    expect(res.status).toBe(201)
    workerSecret = res.body.data.worker_secret
  })
  afterAll(() => app.close())

  it('makes and rotates the worker secret, shown once, for user tokens only', async () => {
    expect(workerSecret).toMatch(/^wks_/)
    const bySk = await app.request('POST', `/api/v1/instances/${ctx.instance.uuid}/worker-secret`, {
      token: ctx.skToken,
    })
    expect(bySk.status).toBe(403)
    const foreign = await app.request('POST', `/api/v1/instances/${ctx.instance.uuid}/worker-secret`, {
      token: other.owner.token,
    })
    expect(foreign.status).toBe(404)
    const stored = await app.database.db.selectFrom('worker_secrets').select('secret').execute()
    expect(stored.every((row) => !row.secret.includes(workerSecret))).toBe(true)

    const rotated = await app.request('POST', `/api/v1/instances/${other.instance.uuid}/worker-secret`, {
      token: other.owner.token,
    })
    const again = await app.request('POST', `/api/v1/instances/${other.instance.uuid}/worker-secret`, {
      token: other.owner.token,
    })
    expect(again.body.data.rotated).toBe(true)
    const old = await signed(
      path('incoming', other.instance.uuid),
      incomingPayload(),
      rotated.body.data.worker_secret,
    )
    expect(old.status).toBe(401)
    const fresh = await signed(
      path('incoming', other.instance.uuid),
      incomingPayload(),
      again.body.data.worker_secret,
    )
    expect(fresh.status).toBe(200)
  })

  it('stores the documented incoming payload once, however often it is posted', async () => {
    const payload = incomingPayload()
    const first = await signed(path('incoming'), payload)
    expect(first.status).toBe(200)
    expect(first.body.data).toMatchObject({
      accepted: true,
      whatsapp_message_id: payload.key.id,
      type: 'text',
      direction: 'incoming',
    })
    await signed(path('incoming'), payload)
    await postInbound(app, ctx.instance.uuid, 'incoming', payload, ctx.skToken)
    const stored = await byWaId(payload.key.id)
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({
      direction: 'incoming',
      sender_number: '5511999999999',
      sender_name: 'John Doe',
      message_body: 'Hello, how are you?',
    })
    const events = await app.database.db
      .selectFrom('events')
      .select('type')
      .where('instance_id', '=', ctx.instance.id)
      .where('type', '=', 'message.received')
      .execute()
    expect(events.filter(Boolean).length).toBeGreaterThanOrEqual(1)
  })

  it('takes every message type of the web docs table', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ conversation: 'plain text' }, { type: 'text', message_body: 'plain text' }],
      [
        { extendedTextMessage: { text: 'see https://example.com', matchedText: 'https://example.com' } },
        { type: 'text', message_body: 'see https://example.com' },
      ],
      [
        { imageMessage: { caption: 'a photo', mimetype: 'image/jpeg', fileLength: '48213', width: 640 } },
        { type: 'image', caption: 'a photo' },
      ],
      [{ videoMessage: { caption: 'a clip', mimetype: 'video/mp4', seconds: 12 } }, { type: 'video' }],
      [{ audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 } }, { type: 'audio' }],
      [
        { documentMessage: { fileName: 'invoice.pdf', mimetype: 'application/pdf', caption: 'the invoice' } },
        { type: 'document' },
      ],
    ]
    for (const [message, expected] of cases) {
      const payload = incomingPayload({ message })
      const res = await signed(path('incoming'), payload)
      expect(res.status, JSON.stringify(message)).toBe(200)
      const [stored] = await byWaId(payload.key.id)
      expect(stored, JSON.stringify(message)).toMatchObject(expected)
    }
  })

  it('takes own messages, group messages, bare numbers and protobuf longs', async () => {
    const own = incomingPayload({
      key: { remoteJid: '5511777777777@s.whatsapp.net', fromMe: true, id: 'OWN-MSG-1' },
      message: { conversation: 'sent from the phone' },
    })
    expect((await signed(path('incoming'), own)).body.data.direction).toBe('outgoing')
    const group = incomingPayload({
      remoteJid: '120363000000000001@g.us',
      key: {
        remoteJid: '120363000000000001@g.us',
        fromMe: false,
        id: 'GROUP-MSG-1',
        participant: '5511666666666@s.whatsapp.net',
      },
      isGroup: true,
      messageTimestamp: { low: 1705312200, high: 0, unsigned: true },
    })
    expect((await signed(path('incoming'), group)).status).toBe(200)
    const [stored] = await byWaId('GROUP-MSG-1')
    expect(stored).toMatchObject({ sender_number: '5511666666666' })
    const bare = incomingPayload({ remoteJid: '5511555555555', key: { id: 'BARE-1', fromMe: false } })
    expect((await signed(path('incoming'), bare)).status).toBe(200)
    expect((await byWaId('BARE-1'))[0]).toMatchObject({ sender_number: '5511555555555' })
  })

  it('maps status codes 1–5 (Baileys numbering) onto the message', async () => {
    const own = incomingPayload({
      key: { remoteJid: '5511444444444@s.whatsapp.net', fromMe: true, id: 'STATUS-MSG-1' },
      message: { conversation: 'track me' },
    })
    await signed(path('incoming'), own)
    const [message] = await byWaId('STATUS-MSG-1')
    const statusOf = async () =>
      (await app.request('GET', `/api/v1/messages/${message.uuid}/status`, { token: ctx.owner.token })).body
        .data
    const key = { remoteJid: '5511444444444@s.whatsapp.net', id: 'STATUS-MSG-1', fromMe: true }

    expect((await signed(path('status'), { key, status: 1, messageTimestamp: 1705312200 })).status).toBe(200)
    expect((await statusOf()).status).toBe('sent')
    expect(
      (await signed(path('status'), { key, status: 3, messageTimestamp: 1705312201 })).body.data,
    ).toMatchObject({
      status: 'delivered',
    })
    expect((await statusOf()).status).toBe('delivered')
    await signed(path('status'), { key, status: 'READ' })
    expect((await statusOf()).status).toBe('read')
    const played = await signed(path('status'), { key, update: { status: 5 } })
    expect(played.body.data.status).toBe('played')
    // A replayed older status changes nothing.
    await signed(path('status'), { key, status: 3 })
    expect((await statusOf()).status).toBe('read')
    const invalid = await signed(path('status'), { key, status: 9 })
    expect(invalid.status).toBe(422)
  })

  it('stores reactions from the reaction endpoint and from reaction messages', async () => {
    const target = incomingPayload({
      key: { remoteJid: '5511999999999@s.whatsapp.net', fromMe: false, id: 'REACT-TARGET' },
    })
    await signed(path('incoming'), target)
    const res = await signed(path('reaction'), {
      key: { remoteJid: '5511999999999@s.whatsapp.net', id: 'REACT-TARGET', fromMe: false },
      reaction: { text: '👍', key: { id: '3EB0DEF987654321' } },
      senderJid: '5511888888888@s.whatsapp.net',
    })
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ whatsapp_message_id: 'REACT-TARGET', emoji: '👍' })
    const [message] = await byWaId('REACT-TARGET')
    const reactionsOf = async () =>
      (await app.request('GET', `/api/v1/messages/${message.uuid}/reactions`, { token: ctx.owner.token }))
        .body
    expect(JSON.stringify(await reactionsOf())).toContain('👍')

    await signed(
      path('incoming'),
      incomingPayload({
        message: {
          reactionMessage: {
            key: { remoteJid: '5511999999999@s.whatsapp.net', id: 'REACT-TARGET', fromMe: false },
            text: '❤️',
          },
        },
      }),
    )
    await eventually(async () => expect(JSON.stringify(await reactionsOf())).toContain('❤️'))
  })

  it('updates the instance from qr and connection reports, with their events', async () => {
    const qr = await signed(path('qr'), {
      qr: '2@ABC123,xyz',
      qr_image: 'data:image/png;base64,AAAA',
      generated_at: '2025-01-15T10:30:00Z',
    })
    expect(qr.status).toBe(200)
    const shown = await app.request('GET', `/api/v1/instances/${ctx.instance.uuid}/qr`, {
      token: ctx.owner.token,
    })
    expect(shown.body.data).toMatchObject({ status: 'qr_ready', qr_code_text: '2@ABC123,xyz' })

    await signed(path('connection'), {
      status: 'connected',
      phone_number: '5511999999999',
      timestamp: '2025-01-15T10:30:00Z',
    })
    const connected = await app.request('GET', `/api/v1/instances/${ctx.instance.uuid}`, {
      token: ctx.owner.token,
    })
    expect(connected.body.data).toMatchObject({ status: 'connected', phone_number: '5511999999999' })
    await signed(path('connection'), { status: 'offline' })
    const offline = await app.request('GET', `/api/v1/instances/${ctx.instance.uuid}`, {
      token: ctx.owner.token,
    })
    expect(offline.body.data.status).toBe('disconnected')

    const types = (
      await app.database.db
        .selectFrom('events')
        .select('type')
        .where('instance_id', '=', ctx.instance.id)
        .where('type', 'like', 'instance.%')
        .orderBy('id')
        .execute()
    ).map((e) => e.type)
    expect(types).toEqual(['instance.qr', 'instance.connected', 'instance.disconnected'])
    expect((await signed(path('connection'), { status: 'sleeping' })).status).toBe(422)
  })

  it('refuses unsigned, badly signed and foreign requests', async () => {
    const body = incomingPayload()
    const unsigned = await app.request('POST', path('incoming'), { body })
    expect(unsigned.status).toBe(401)
    const wrong = await signed(path('incoming'), body, 'not-the-secret')
    expect(wrong.status).toBe(401)
    // A signature over other bytes than those sent.
    const tampered = await app.request('POST', path('incoming'), {
      rawBody: JSON.stringify({ ...body, pushName: 'Mallory' }),
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': createHmac('sha256', workerSecret).update(JSON.stringify(body)).digest('hex'),
      },
    })
    expect(tampered.status).toBe(401)
    const userToken = await app.request('POST', path('incoming'), { body, token: ctx.owner.token })
    expect(userToken.status).toBe(401)
    const otherSk = await app.request('POST', path('incoming'), { body, token: other.skToken })
    expect(otherSk.status).toBe(404)
    const unknown = await signed(path('incoming', '00000000-0000-7000-8000-000000000000'), body)
    expect(unknown.status).toBe(401)
    expect(await byWaId(body.key.id)).toHaveLength(0)
    const malformed = await app.request('POST', path('incoming'), {
      rawBody: '{"key":',
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': createHmac('sha256', workerSecret).update('{"key":').digest('hex'),
      },
    })
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe('INVALID_JSON')
  })

  it('answers on the instance host without /api/v1, and at the root of the main host', async () => {
    const viaHost = incomingPayload()
    const res = await signed(`/webhooks/instance/${ctx.instance.uuid}/incoming`, viaHost, workerSecret, {
      host: `instance-${ctx.instance.id}.localhost`,
    })
    expect(res.status).toBe(200)
    const root = incomingPayload()
    expect((await signed(`/webhooks/instance/${ctx.instance.uuid}/incoming`, root)).status).toBe(200)
    expect(await byWaId(viaHost.key.id)).toHaveLength(1)
    expect(await byWaId(root.key.id)).toHaveLength(1)
  })
})
