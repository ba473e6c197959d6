import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { httpRequest } from '../helpers/http.js'
import { incomingPayload, instanceWithToken, postInbound } from '../webhooks/support.js'
import { openEventSource, openStream, type Stream } from './support.js'

describe('live event stream', () => {
  let app: TestApp
  let a: Awaited<ReturnType<typeof instanceWithToken>>
  let b: Awaited<ReturnType<typeof instanceWithToken>>
  const open: Stream[] = []
  const connect = async (options: Parameters<typeof openStream>[1]) => {
    const stream = await openStream(app.url, options)
    open.push(stream)
    return stream
  }
  const message = (ctx: typeof a, overrides: Record<string, unknown> = {}) =>
    postInbound(app, ctx.instance.uuid, 'incoming', incomingPayload(overrides), ctx.skToken)

  beforeAll(async () => {
    app = await startTestApp({ env: { STREAM_HEARTBEAT_SECONDS: '1', EVENTS_POLL_MS: '50' } })
    a = await instanceWithToken(app)
    b = await instanceWithToken(app)
  })
  afterAll(async () => {
    for (const stream of open) stream.close()
    await app.close()
  })

  it('streams the webhook envelope to a user token, only for its own tenant', async () => {
    const mine = await connect({ token: a.owner.token })
    const theirs = await connect({ token: b.owner.token })
    expect(mine.messages[0]).toMatchObject({
      event: 'stream.ready',
      data: { instance_uuid: null, events: null },
    })

    const payload = incomingPayload({ message: { conversation: 'live!' } })
    await postInbound(app, a.instance.uuid, 'incoming', payload, a.skToken)
    const event = await mine.next((m) => m.event === 'message.received')
    expect(Object.keys(event)).toEqual(['id', 'event', 'instance_uuid', 'timestamp', 'data'])
    expect(event).toMatchObject({
      instance_uuid: a.instance.uuid,
      data: { whatsapp_message_id: payload.key.id, content: 'live!', sender_number: '5511999999999' },
    })

    await message(b)
    await theirs.next((m) => m.event === 'message.received' && m.instance_uuid === b.instance.uuid)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(mine.messages.filter((m) => m.instance_uuid === b.instance.uuid)).toEqual([])
    expect(theirs.messages.filter((m) => m.instance_uuid === a.instance.uuid)).toEqual([])
  })

  it('takes the token from the query string; an sk_ token sees only its instance', async () => {
    const scoped = await connect({ query: `?token=${a.skToken}` })
    expect(scoped.messages[0].data.instance_uuid).toBe(a.instance.uuid)
    const tenant = await connect({ query: `?token=${encodeURIComponent(a.owner.token)}` })
    const second = await app.request('POST', '/api/v1/instances', {
      token: a.owner.token,
      body: { name: 'Second', engine: 'sandbox' },
    })
    // The second instance starts connecting (sandbox): its instance.qr event is the tenant's, not the sk_ token's.
    await tenant.next((m) => m.event === 'instance.qr' && m.instance_uuid === second.body.data.uuid)
    await message(a)
    await scoped.next((m) => m.event === 'message.received')
    expect(scoped.messages.filter((m) => m.instance_uuid === second.body.data.uuid)).toEqual([])
  })

  it('filters by event names (aliases accepted) and by instance', async () => {
    const filtered = await connect({
      token: a.owner.token,
      query: `?events=connection.update,message.outgoing&instance=${a.instance.uuid}`,
    })
    expect(filtered.messages[0].data).toMatchObject({
      instance_uuid: a.instance.uuid,
      events: ['instance.connected', 'instance.disconnected', 'message.sent'],
    })
    await message(a)
    await message(a, { key: { remoteJid: '5511999999999@s.whatsapp.net', fromMe: true, id: 'OWN-1' } })
    await postInbound(
      app,
      a.instance.uuid,
      'connection',
      { status: 'connected', phone_number: '5511888888888' },
      a.skToken,
    )
    await filtered.next((m) => m.event === 'instance.connected')
    const sent = await filtered.next((m) => m.event === 'message.sent')
    expect(sent.data.whatsapp_message_id).toBe('OWN-1')
    expect(filtered.messages.some((m) => m.event === 'message.received')).toBe(false)

    const other = await openStream(app.url, {
      token: a.owner.token,
      query: `?instance=${b.instance.uuid}`,
    }).catch((e) => e)
    expect(other.status).toBe(404)
    const unknown = await openStream(app.url, { token: a.owner.token, query: '?events=message.nope' }).catch(
      (e) => e,
    )
    expect(unknown.status).toBe(422)
  })

  it('binds an instance host to its instance', async () => {
    const headers = { host: `instance-${a.instance.id}.localhost` }
    const viaHost = await connect({ token: a.owner.token, headers, path: '/events' })
    expect(viaHost.messages[0].data.instance_uuid).toBe(a.instance.uuid)
    const foreign = await openStream(app.url, {
      token: b.owner.token,
      headers,
      path: '/events',
    }).catch((e) => e)
    expect(foreign.status).toBe(404)
  })

  it('refuses a missing or bad token, and plain HTTP', async () => {
    const none = await openStream(app.url).catch((e) => e)
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('UNAUTHENTICATED')
    const bad = await openStream(app.url, { query: '?token=1|nope' }).catch((e) => e)
    expect(bad.status).toBe(401)
    const plain = await httpRequest(app.url, 'GET', '/api/v1/events', { token: a.owner.token })
    expect(plain.status).toBe(426)
  })

  it('serves the same stream as Server-Sent Events', async () => {
    const source = await openEventSource(app.url, { query: `?token=${a.skToken}` })
    try {
      expect(source.headers['content-type']).toMatch(/^text\/event-stream/)
      expect(source.headers['access-control-allow-origin']).toBe('*')
      const payload = incomingPayload({ message: { conversation: 'over SSE' } })
      await postInbound(app, a.instance.uuid, 'incoming', payload, a.skToken)
      const event = await source.next((e) => e.event === 'message.received')
      expect(event.id).toBe(event.data.id)
      expect(event.data).toMatchObject({ instance_uuid: a.instance.uuid, data: { content: 'over SSE' } })
      await source.next((e) => e.event === 'heartbeat', 3000)
    } finally {
      source.close()
    }
    const refused = await openEventSource(app.url, { token: 'sk_nope' })
    expect(refused.status).toBe(401)
  })

  it('sends heartbeats and pings', async () => {
    const stream = await connect({ token: a.owner.token })
    const beat = await stream.next((m) => m.event === 'heartbeat', 3000)
    expect(beat.timestamp).toEqual(expect.any(String))
    expect(stream.pings).toBeGreaterThanOrEqual(1)
  })
})
