import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  incomingPayload,
  instanceWithToken,
  nodeDocsCheck,
  phpDocsCheck,
  postInbound,
  type Receiver,
  standardWebhooksCheck,
  startReceiver,
} from './support.js'

const SECRET = 'your_webhook_secret_1234'

describe('webhook delivery', () => {
  const clock = manualClock()
  let app: TestApp
  let receiver: Receiver
  let ctx: Awaited<ReturnType<typeof instanceWithToken>>

  const incoming = (overrides: Record<string, unknown> = {}) =>
    postInbound(app, ctx.instance.uuid, 'incoming', incomingPayload(overrides), ctx.skToken)
  const deliveries = async (query = '') =>
    (
      await app.request('GET', `/api/v1/instances/${ctx.instance.uuid}/webhook/deliveries${query}`, {
        token: ctx.owner.token,
      })
    ).body

  beforeAll(async () => {
    app = await startTestApp({
      clock,
      env: {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        EVENTS_POLL_MS: '40',
        WEBHOOK_RETRY_BASE_MS: '1000',
        // Every delivery of this file must beat it, on a loaded machine too.
        WEBHOOK_TIMEOUT_MS: '2000',
      },
    })
    receiver = await startReceiver()
    ctx = await instanceWithToken(app)
  })
  afterAll(async () => {
    await app.close()
    await receiver.close()
  })
  beforeEach(async () => {
    receiver.answer(() => ({}))
    const res = await app.request('PUT', `/api/v1/instances/${ctx.instance.uuid}/webhook`, {
      token: ctx.owner.token,
      body: { webhook_url: receiver.url, webhook_secret: SECRET },
    })
    expect([200, 201]).toContain(res.status)
    receiver.received.length = 0
  })

  it('posts the documented envelope and headers, signed so that both documented checks pass', async () => {
    const res = await incoming({
      pushName: 'Zoë “Quotes” </script>',
      message: { conversation: 'Olá 👋 ção \u2028 "quoted" \\ back' },
    })
    expect(res.status).toBe(200)
    const [hit] = await eventually(() => {
      const hits = receiver.of('message.received')
      expect(hits).toHaveLength(1)
      return hits
    })
    expect(hit!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Zapini-Webhook/1.0',
      'x-webhook-event': 'message.received',
      'x-instance-uuid': ctx.instance.uuid,
    })
    expect(hit!.headers['x-webhook-id']).toBe(hit!.headers['webhook-id'])
    expect(Number(hit!.headers['webhook-timestamp'])).toBe(Math.floor(clock.now().getTime() / 1000))
    expect(nodeDocsCheck(hit!, SECRET)).toBe(true)
    expect(phpDocsCheck(hit!, SECRET)).toBe(true)
    expect(standardWebhooksCheck(hit!, SECRET)).toBe(true)
    expect(nodeDocsCheck(hit!, 'another secret')).toBe(false)
    expect(JSON.stringify(JSON.parse(hit!.raw))).toBe(hit!.raw)
    expect(Object.keys(hit!.body)).toEqual(['event', 'instance_uuid', 'timestamp', 'data'])
    expect(hit!.body).toMatchObject({
      event: 'message.received',
      instance_uuid: ctx.instance.uuid,
      data: {
        message_id: expect.any(String),
        whatsapp_message_id: expect.any(String),
        sender_number: '5511999999999',
        sender_name: 'Zoë “Quotes” </script>',
        content: 'Olá 👋 ção \u2028 "quoted" \\ back',
        media_type: null,
        media_url: null,
        conversation_id: expect.any(Number),
        message: { unique_id: expect.any(String), direction: 'incoming', sender_number: '5511999999999' },
        instance: { uuid: ctx.instance.uuid },
      },
    })
  })

  it('retries a 500 with the same X-Webhook-Id and logs every attempt', async () => {
    receiver.answer((_, i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 200, body: 'thanks' }))
    await incoming()
    await eventually(() => expect(receiver.of('message.received')).toHaveLength(1))
    const pending = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first).toMatchObject({ status: 'pending', attempts: 1, status_code: 500 })
      return first
    })
    expect(pending.response_excerpt).toBe('boom')
    expect(Date.parse(pending.next_retry_at)).toBeGreaterThan(clock.now().getTime())
    // Nothing more until the backoff has passed on the application's clock.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(receiver.of('message.received')).toHaveLength(1)

    clock.advance(2)
    const hits = await eventually(() => {
      const all = receiver.of('message.received')
      expect(all).toHaveLength(2)
      return all
    })
    expect(hits[1]!.headers['x-webhook-id']).toBe(hits[0]!.headers['x-webhook-id'])
    expect(hits[1]!.raw).toBe(hits[0]!.raw)
    const done = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first.status).toBe('delivered')
      return first
    })
    expect(done).toMatchObject({
      uuid: hits[0]!.headers['x-webhook-id'],
      event: 'message.received',
      attempts: 2,
      status_code: 200,
      response_excerpt: 'thanks',
      next_retry_at: null,
    })
    expect(done.attempt_log.map((a: any) => a.status_code)).toEqual([500, 200])
  })

  it('gives everything to a receiver that was down once it is back', async () => {
    await receiver.down()
    try {
      for (let i = 0; i < 3; i++) await incoming()
      await eventually(async () => {
        const log = (await deliveries('?status=pending')).data
        expect(log).toHaveLength(3)
        for (const item of log) expect(item.last_error).toMatch(/connection failed|ECONNREFUSED/)
      })
      clock.advance(2)
      await eventually(async () => {
        const log = (await deliveries('?status=pending')).data
        expect(log.every((d: any) => d.attempts >= 2)).toBe(true)
      })
    } finally {
      await receiver.up()
    }
    clock.advance(3600)
    await eventually(() => expect(receiver.of('message.received')).toHaveLength(3))
    await eventually(async () => expect((await deliveries('?status=pending')).data).toHaveLength(0))
  })

  it('does not retry a refusal (4xx) but retries 408 and 429 after Retry-After', async () => {
    receiver.answer(() => ({ status: 422, body: 'no thanks' }))
    await incoming()
    const refused = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first.status).toBe('failed')
      return first
    })
    expect(refused).toMatchObject({ attempts: 1, status_code: 422, next_retry_at: null })

    receiver.answer(() => ({ status: 429, headers: { 'retry-after': '120' } }))
    await incoming()
    const limited = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first).toMatchObject({ status: 'pending', status_code: 429 })
      return first
    })
    expect(Date.parse(limited.next_retry_at) - clock.now().getTime()).toBeGreaterThanOrEqual(120_000)
    clock.advance(60)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(receiver.of('message.received')).toHaveLength(2)
    receiver.answer(() => ({}))
    clock.advance(61)
    await eventually(() => expect(receiver.of('message.received')).toHaveLength(3))
  })

  it('treats a receiver slower than the timeout as down', async () => {
    receiver.answer((_, i) => (i === 0 ? { delayMs: 3000 } : {}))
    await incoming()
    await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first).toMatchObject({ status: 'pending', attempts: 1 })
      expect(first.last_error).toMatch(/timed out after 2000 ms/)
    }, 10_000)
    clock.advance(2)
    await eventually(async () => expect((await deliveries()).data[0].status).toBe('delivered'))
  })

  it('fails for good after the retry window', async () => {
    receiver.answer(() => ({ status: 503 }))
    await incoming()
    await eventually(async () => expect((await deliveries()).data[0].attempts).toBe(1))
    for (let hour = 0; hour < 26; hour++) {
      clock.advance(3600)
      await new Promise((resolve) => setTimeout(resolve, 60))
    }
    const failed = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first.status).toBe('failed')
      return first
    })
    expect(failed.attempts).toBeGreaterThan(5)
    expect(failed.next_retry_at).toBeNull()
  })

  it('redelivers a delivery on request, with the same id', async () => {
    receiver.answer(() => ({ status: 400 }))
    await incoming()
    const failed = await eventually(async () => {
      const [first] = (await deliveries()).data
      expect(first.status).toBe('failed')
      return first
    })
    receiver.answer(() => ({}))
    const res = await app.request(
      'POST',
      `/api/v1/instances/${ctx.instance.uuid}/webhook/deliveries/${failed.id}/redeliver`,
      { token: ctx.owner.token },
    )
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ id: failed.id, status: 'pending' })
    await eventually(async () => expect((await deliveries()).data[0].status).toBe('delivered'))
    const hits = receiver.of('message.received')
    expect(hits).toHaveLength(2)
    expect(hits[1]!.headers['x-webhook-id']).toBe(failed.uuid)
    const byUuid = await app.request(
      'POST',
      `/api/v1/instances/${ctx.instance.uuid}/webhook/deliveries/${failed.uuid}/redeliver`,
      { token: ctx.owner.token },
    )
    expect(byUuid.status).toBe(200)
    const missing = await app.request(
      'POST',
      `/api/v1/instances/${ctx.instance.uuid}/webhook/deliveries/999999/redeliver`,
      { token: ctx.owner.token },
    )
    expect(missing.status).toBe(404)
  })

  it('sends a test event now and reports the answer', async () => {
    receiver.answer(() => ({ status: 200, body: 'pong' }))
    const ok = await app.request('POST', `/api/v1/instances/${ctx.instance.uuid}/webhook/test`, {
      token: ctx.owner.token,
    })
    expect(ok.status).toBe(200)
    expect(ok.body.data).toMatchObject({
      delivered: true,
      status_code: 200,
      response_excerpt: 'pong',
      latency_ms: expect.any(Number),
    })
    const [hit] = receiver.of('webhook.test')
    expect(hit!.headers['x-webhook-id']).toBe(ok.body.data.webhook_id)
    expect(phpDocsCheck(hit!, SECRET)).toBe(true)

    receiver.answer(() => ({ status: 500, body: 'down for maintenance' }))
    const bad = await app.request('POST', `/api/v1/instances/${ctx.instance.uuid}/webhook/test`, {
      token: ctx.owner.token,
    })
    expect(bad.body.data).toMatchObject({ delivered: false, status_code: 500, error: 'HTTP 500' })
    const log = (await deliveries('?event=webhook.test')).data
    expect(log.map((d: any) => d.status)).toEqual(['failed', 'delivered'])
  })

  it('sends nothing while the webhook is inactive, and nothing after it is removed', async () => {
    await app.request('PUT', `/api/v1/instances/${ctx.instance.uuid}/webhook`, {
      token: ctx.owner.token,
      body: { webhook_url: receiver.url, is_active: false },
    })
    await incoming()
    await app.request('DELETE', `/api/v1/instances/${ctx.instance.uuid}/webhook`, { token: ctx.owner.token })
    await incoming()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(receiver.received).toHaveLength(0)
    const gone = await app.request('GET', `/api/v1/instances/${ctx.instance.uuid}/webhook`, {
      token: ctx.owner.token,
    })
    expect(gone.status).toBe(404)
  })
})
