import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemTimerClock } from '../../src/engine/clock.js'
import { manualClock } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { type SandboxApp, startSandboxApp } from './sandbox-app.js'

/**
 * `GET /instances/{uuid}/stats` counts what is stored: messages of the instance through a
 * month's days (UTC: the day, the week from Monday, the month from the 1st), its failures,
 * conversations and contacts. Time is the test's: 2026-01-14 is a Wednesday.
 */
describe('instance statistics', () => {
  const clock = manualClock(new Date('2025-12-31T23:59:59.999Z'))
  let app: SandboxApp
  let owner: { token: string; tenantId: number }
  let stranger: { token: string; tenantId: number }
  let shop: { id: number; uuid: string }
  let other: { id: number; uuid: string }

  const api = (method: string, path: string, body?: unknown, token = owner.token) =>
    app.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) })
  const at = (iso: string) => clock.set(new Date(iso))

  async function connected(name: string, phone: string): Promise<{ id: number; uuid: string }> {
    const created = await api('POST', '/instances', {
      name,
      engine: 'sandbox',
      daily_limit: 100,
      send_delay_min: 0,
      send_delay_max: 0,
    })
    expect(created.status).toBe(201)
    const { id, uuid } = created.body.data
    await eventually(async () =>
      expect((await api('GET', `/instances/${uuid}/qr`)).body.data.status).toBe('qr_ready'),
    )
    expect((await api('POST', `/sandbox/instances/${uuid}/scan`, { phone_number: phone })).status).toBe(200)
    await eventually(async () =>
      expect((await api('GET', `/instances/${uuid}`)).body.data.status).toBe('connected'),
    )
    return { id, uuid }
  }

  /** A contact's message arrives; answers once it is stored. */
  async function receive(instance: { uuid: string }, from: string): Promise<void> {
    const res = await api('POST', `/sandbox/instances/${instance.uuid}/inbound`, { from, message: 'hi' })
    expect(res.status).toBe(201)
    const waId = res.body.data.whatsapp_message_id as string
    await eventually(async () => {
      const row = await app.db
        .selectFrom('messages')
        .select('id')
        .where('whatsapp_message_id', '=', waId)
        .executeTakeFirst()
      expect(row).toBeDefined()
    })
  }

  /** Queues a message and waits until the sender is done with it (sent, or failed). */
  async function send(instance: { uuid: string }, to: string, outcome = /sent|delivered/): Promise<void> {
    const res = await api('POST', '/messages/send', {
      instance_id: instance.uuid,
      recipient: to,
      message: 'hello',
    })
    expect(res.status).toBe(201)
    const uuid = res.body.data.uuid as string
    await eventually(async () =>
      expect((await api('GET', `/messages/${uuid}`)).body.data.status).toMatch(outcome),
    )
  }

  beforeAll(async () => {
    app = await startSandboxApp({
      clock,
      networkClock: { ...systemTimerClock, now: () => clock.now().getTime() },
      env: { DEFAULT_ENGINE: 'sandbox' },
    })
    owner = await app.register()
    stranger = await app.register()
    shop = await connected('Shop', '15550001001')
    other = await connected('Other', '15550001002')

    // Last month (and last week).
    await receive(shop, '5511900000001')
    await send(shop, '5511900000001')
    // The 1st, a Thursday: this month, not this week.
    at('2026-01-01T00:00:00.000Z')
    await receive(shop, '5511900000002')
    await send(shop, '5511900000002')
    // The Sunday before: this month, last week.
    at('2026-01-11T23:59:59.999Z')
    await receive(shop, '5511900000003')
    // Monday: this week.
    at('2026-01-12T00:00:00.000Z')
    await send(shop, '5511900000003')
    await send(shop, '5511900000003')
    // Yesterday.
    at('2026-01-13T23:59:59.999Z')
    await receive(shop, '5511900000004')
    // Today.
    at('2026-01-14T00:00:00.000Z')
    await receive(shop, '5511900000001')
    await send(shop, '5511900000001')
    at('2026-01-14T10:00:00.000Z')
    await receive(shop, '5511900000005')
    await send(shop, '5511900000005')
    // Not on WhatsApp: it fails.
    await send(shop, '5511900000000', /failed/)
    const contact = await api('POST', '/contacts', { instance_id: shop.uuid, phone_number: '5511900000006' })
    expect(contact.status).toBe(201)

    // Another instance of the same tenant: none of this is the shop's.
    await receive(other, '5511900000001')
    await receive(other, '5511900000007')
    await send(other, '5511900000001')
    await send(other, '5511900000000', /failed/)
    await api('POST', '/contacts', { instance_id: other.uuid, phone_number: '5511900000008' })
  })
  afterAll(() => app?.close())

  it('answers every documented field, counted from the stored data', async () => {
    const res = await api('GET', `/instances/${shop.uuid}/stats`)
    expect(res.status).toBe(200)
    const row = await app.db
      .selectFrom('instances')
      .select('last_activity_at')
      .where('id', '=', shop.id)
      .executeTakeFirstOrThrow()
    expect(res.body).toEqual({
      success: true,
      data: {
        // Today's quota: three queued today, the failed one too.
        messages_sent_today: 3,
        remaining_quota: 97,
        daily_limit: 100,
        // Since Monday: sent 2 + 1 + 2, received 1 + 1 + 1.
        messages_this_week: 8,
        // Since the 1st: sent 1 + 5, received 1 + 1 + 3.
        messages_this_month: 11,
        messages_received_today: 2,
        // 5511900000001 … 05 and the number not on WhatsApp; contacts also the one made by hand.
        conversations_count: 6,
        contacts_count: 7,
        failed_attempts: 1,
        last_activity_at: row.last_activity_at === null ? null : new Date(row.last_activity_at).toISOString(),
        messages_sent_this_week: 5,
        messages_received_this_week: 3,
        messages_sent_this_month: 6,
        messages_received_this_month: 5,
      },
    })
    expect(res.body.data.last_activity_at).not.toBeNull()
  })

  it("counts each instance's own data", async () => {
    const res = await api('GET', `/instances/${other.id}/stats`)
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({
      messages_sent_today: 2,
      remaining_quota: 98,
      messages_this_week: 4,
      messages_this_month: 4,
      messages_received_today: 2,
      conversations_count: 3,
      contacts_count: 4,
      failed_attempts: 1,
    })
  })

  it('starts the day, the week and the month over at 00:00 UTC', async () => {
    // Monday 2 February: nothing of January counts any more, and the day's quota is whole.
    at('2026-02-02T00:00:00.000Z')
    try {
      const res = await api('GET', `/instances/${shop.uuid}/stats`)
      expect(res.body.data).toMatchObject({
        messages_sent_today: 0,
        remaining_quota: 100,
        messages_this_week: 0,
        messages_this_month: 0,
        messages_received_today: 0,
        conversations_count: 6,
        contacts_count: 7,
        failed_attempts: 1,
      })
    } finally {
      at('2026-01-14T10:00:00.000Z')
    }
  })

  it("is 404 for another tenant and for another instance's token", async () => {
    for (const ref of [shop.uuid, String(shop.id)]) {
      const res = await api('GET', `/instances/${ref}/stats`, undefined, stranger.token)
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('NOT_FOUND')
    }
    const token = await api('POST', `/instances/${other.uuid}/tokens`, { name: 'other' })
    expect(token.status).toBe(201)
    const res = await api('GET', `/instances/${shop.uuid}/stats`, undefined, token.body.data.token)
    expect(res.status).toBe(404)
    expect(
      (await api('GET', `/instances/${other.uuid}/stats`, undefined, token.body.data.token)).status,
    ).toBe(200)
  })
})
