import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  incomingPayload,
  instanceWithToken,
  phpDocsCheck,
  postInbound,
  type Receiver,
  standardWebhooksCheck,
  startReceiver,
} from './support.js'

describe('webhook settings', () => {
  let app: TestApp
  let receiver: Receiver
  let ctx: Awaited<ReturnType<typeof instanceWithToken>>
  let stranger: Awaited<ReturnType<typeof instanceWithToken>>
  const hook = (uuid = ctx.instance.uuid) => `/api/v1/instances/${uuid}/webhook`

  /** Waits until the webhooks consumer has read every event so far. */
  async function settled(): Promise<void> {
    await eventually(async () => {
      const db = app.database.db
      const last = await db
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('max'))
        .executeTakeFirst()
      const cursor = await db
        .selectFrom('event_cursors')
        .select('last_event_id')
        .where('consumer', '=', 'webhooks')
        .executeTakeFirst()
      expect(cursor?.last_event_id).toBe(Number(last?.max))
      const pending = await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .execute()
      expect(pending).toEqual([])
    })
  }

  beforeAll(async () => {
    app = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', EVENTS_POLL_MS: '50' } })
    receiver = await startReceiver()
    ctx = await instanceWithToken(app)
    stranger = await instanceWithToken(app)
  })
  afterAll(async () => {
    await app.close()
    await receiver.close()
  })

  it('generates a secret shown once, keeps it encrypted and masks it when read', async () => {
    const created = await app.request('PUT', hook(), {
      token: ctx.owner.token,
      body: { webhook_url: receiver.url },
    })
    expect(created.status).toBe(201)
    const secret = created.body.data.webhook_secret
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/)
    expect(created.body.data).toMatchObject({
      secret_shown: true,
      webhook_url: receiver.url,
      events: null,
      subscribed_events: null,
      is_active: true,
      instance_uuid: ctx.instance.uuid,
    })
    const read = await app.request('GET', hook(), { token: ctx.owner.token })
    expect(read.body.data.webhook_secret).toBe(`********${secret.slice(-4)}`)
    expect(read.body.data.secret_shown).toBe(false)
    const row = await app.database.db.selectFrom('webhooks').select('secret').executeTakeFirstOrThrow()
    expect(row.secret.startsWith('v1:')).toBe(true)
    expect(row.secret).not.toContain(secret.slice(6))

    // Changing the URL without a secret keeps the secret: the next event is signed with it.
    const updated = await app.request('PUT', hook(), {
      token: ctx.owner.token,
      body: { webhook_url: `${receiver.url}?v=2` },
    })
    expect(updated.status).toBe(200)
    expect(updated.body.data.webhook_secret).toBe(read.body.data.webhook_secret)
    const test = await app.request('POST', `${hook()}/test`, { token: ctx.owner.token })
    expect(test.body.data.delivered).toBe(true)
    const [hit] = receiver.of('webhook.test')
    expect(phpDocsCheck(hit!, secret)).toBe(true)
    expect(standardWebhooksCheck(hit!, secret)).toBe(true)

    const own = await app.request('PUT', hook(), {
      token: ctx.owner.token,
      body: { webhook_url: receiver.url, webhook_secret: 'my-own-secret-value' },
    })
    expect(own.body.data).toMatchObject({ webhook_secret: '********alue', secret_shown: false })
  })

  it('validates the URL, the secret and the event names', async () => {
    const bad = async (body: Record<string, unknown>) =>
      (
        await app.request('PUT', hook(), {
          token: ctx.owner.token,
          body: { webhook_url: receiver.url, ...body },
        })
      ).body
    expect((await bad({ webhook_url: 'not a url' })).error.details).toHaveProperty('webhook_url')
    expect((await bad({ webhook_url: 'ftp://example.com/hook' })).error.details).toHaveProperty('webhook_url')
    expect((await bad({ webhook_secret: 'short' })).error.details).toHaveProperty('webhook_secret')
    const unknown = await bad({ events: ['message.received', 'message.exploded'] })
    expect(unknown.error.code).toBe('VALIDATION_ERROR')
    expect(JSON.stringify(unknown.error.details)).toContain('events')

    const strict = await startTestApp()
    try {
      const other = await instanceWithToken(strict)
      const res = await strict.request('PUT', `/api/v1/instances/${other.instance.uuid}/webhook`, {
        token: other.owner.token,
        body: { webhook_url: 'http://127.0.0.1:9/hook' },
      })
      expect(res.status).toBe(422)
      expect(res.body.error.details.webhook_url[0]).toMatch(/public internet address/)
    } finally {
      await strict.close()
    }
  })

  it('filters events, every documented alias included', async () => {
    const cases: [string[], string[]][] = [
      [['message.incoming'], ['message.received']],
      [['message.outgoing'], ['message.sent']],
      [['connection.update'], ['instance.connected', 'instance.disconnected']],
      [['qr.update'], ['instance.qr']],
      [
        ['instance.qr_ready', 'message.status'],
        ['instance.qr', 'message.status'],
      ],
      [
        [],
        [
          'instance.connected',
          'instance.disconnected',
          'instance.qr',
          'message.delivered',
          'message.received',
          'message.sent',
          'message.status',
        ],
      ],
    ]
    let n = 0
    for (const [events, expected] of cases) {
      const put = await app.request('PUT', hook(), {
        token: ctx.owner.token,
        body: { webhook_url: receiver.url, webhook_secret: 'filter-secret-123', events },
      })
      expect(put.body.data.subscribed_events).toEqual(events.length ? [...new Set(expected)].sort() : null)
      await settled()
      receiver.received.length = 0
      n++
      const own = `FILTER-OWN-${n}`
      const send = (kind: 'incoming' | 'status' | 'qr' | 'connection', body: unknown) =>
        postInbound(app, ctx.instance.uuid, kind, body, ctx.skToken)
      await send('incoming', incomingPayload())
      await send('incoming', incomingPayload({ key: { remoteJid: '5511999999999', fromMe: true, id: own } }))
      await send('status', { key: { remoteJid: '5511999999999', id: own, fromMe: true }, status: 3 })
      await send('qr', { qr: `2@QR-${n}` })
      await send('connection', { status: 'connected', phone_number: '5511000000000' })
      await send('connection', { status: 'disconnected' })
      await settled()
      const got = [...new Set(receiver.received.map((r) => r.headers['x-webhook-event']))].sort()
      expect(got, JSON.stringify(events)).toEqual([...expected].sort())
    }
  })

  it('lets an sk_ token of the instance manage it, and nobody else', async () => {
    const bySk = await app.request('GET', hook(), { token: ctx.skToken })
    expect(bySk.status).toBe(200)
    const attempts: [string, string, unknown?][] = [
      ['GET', hook()],
      ['PUT', hook(), { webhook_url: receiver.url }],
      ['DELETE', hook()],
      ['POST', `${hook()}/test`],
      ['GET', `${hook()}/deliveries`],
      ['POST', `${hook()}/deliveries/1/redeliver`],
      ['POST', `/api/v1/instances/${ctx.instance.uuid}/worker-secret`],
    ]
    for (const [method, path, body] of attempts) {
      const foreignUser = await app.request(method, path, { token: stranger.owner.token, body })
      expect(foreignUser.status, `${method} ${path}`).toBe(404)
      const foreignSk = await app.request(method, path, { token: stranger.skToken, body })
      expect([403, 404], `${method} ${path}`).toContain(foreignSk.status)
    }
    const log = await app.request('GET', `${hook()}/deliveries?per_page=2&page=1`, { token: ctx.skToken })
    expect(log.status).toBe(200)
    expect(log.body.meta.pagination).toMatchObject({ per_page: 2, current_page: 1 })
    expect(log.body.data.length).toBeLessThanOrEqual(2)
    expect(log.body.meta.pagination.total).toBeGreaterThan(2)
  })
  it('goes away with its instance: webhook, delivery log and worker secret', async () => {
    const gone = await instanceWithToken(app)
    const path = `/api/v1/instances/${gone.instance.uuid}`
    await app.request('PUT', `${path}/webhook`, {
      token: gone.owner.token,
      body: { webhook_url: receiver.url, webhook_secret: 'short-lived-secret' },
    })
    await app.request('POST', `${path}/worker-secret`, { token: gone.owner.token })
    await app.request('POST', `${path}/webhook/test`, { token: gone.owner.token })
    const db = app.database.db
    const count = async (table: 'webhooks' | 'webhook_deliveries' | 'worker_secrets') =>
      (await db.selectFrom(table).select('instance_id').where('instance_id', '=', gone.instance.id).execute())
        .length
    expect(await count('webhook_deliveries')).toBe(1)
    expect((await app.request('DELETE', path, { token: gone.owner.token })).status).toBe(200)
    expect(await count('webhooks')).toBe(0)
    expect(await count('webhook_deliveries')).toBe(0)
    expect(await count('worker_secrets')).toBe(0)
  })
})
