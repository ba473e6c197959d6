import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { systemClock } from '../../src/lib/clock.js'
import { createCipher } from '../../src/lib/secrets.js'
import { createQueueWriter, type QueuedSend } from '../../src/messages/queue-writer.js'
import { createServices } from '../../src/services.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'

describe(`the queue writer's group commits, on ${TEST_DB}`, () => {
  let app: TestApp
  let tenantId: number
  let instance: { id: number; uuid: string; daily_limit: number }
  let writer: ReturnType<typeof createQueueWriter>
  const woken: number[] = []

  beforeAll(async () => {
    app = await startTestApp()
    const owner = await app.register()
    tenantId = owner.user.tenant.id
    instance = (
      await app.request('POST', '/api/v1/instances', {
        token: owner.token,
        body: { name: 'Writer', engine: 'sandbox', daily_limit: 10 },
      })
    ).body.data
    // The real contact and conversation services, on the app's database.
    const config = loadConfig({
      DATABASE_URL: app.databaseUrl,
      APP_KEY: randomBytes(32).toString('base64'),
      PUBLIC_URL: 'http://localhost',
    })
    const services = createServices({
      config,
      database: app.database,
      cipher: createCipher(config.appKey!),
      logger: pino({ level: 'silent' }),
    })
    writer = createQueueWriter({
      db: app.database.db,
      clock: systemClock,
      contacts: services.contacts,
      conversations: services.conversations,
      onQueued: (id) => woken.push(id),
    })
  })
  afterAll(() => app.close())

  let sends = 0
  function send(phone: string, whatsappId = `3EB0WRITER${String(++sends).padStart(6, '0')}`): QueuedSend {
    const jid = `${phone}@s.whatsapp.net`
    return {
      instance: { id: instance.id, daily_limit: instance.daily_limit },
      chat: { jid, phone },
      preview: `text ${sends}`,
      row: {
        uuid: crypto.randomUUID(),
        tenant_id: tenantId,
        instance_id: instance.id,
        whatsapp_message_id: whatsappId,
        direction: 'outgoing',
        chat_jid: jid,
        recipient_number: phone,
        type: 'text',
        body: `text ${sends}`,
        status: 'pending',
        source: 'api',
      },
    }
  }

  const usage = async () =>
    (
      await app.database.db
        .selectFrom('message_usage')
        .select('queued')
        .where('instance_id', '=', instance.id)
        .executeTakeFirst()
    )?.queued ?? 0

  it('stores the sends of one turn together, each answered with its own place in the quota', async () => {
    const stored = await Promise.all(
      [send('15551110001'), send('15551110002'), send('15551110001')].map(writer.queue),
    )
    expect(stored.map((s) => s.remainingQuota)).toEqual([9, 8, 7])
    expect(stored.map((s) => s.ahead)).toEqual([0, 1, 2])
    expect(stored.map((s) => s.row.status)).toEqual(['pending', 'pending', 'pending'])
    expect(await usage()).toBe(3)
    // One conversation per chat, each showing its latest message.
    const conversations = await app.database.db
      .selectFrom('conversations')
      .select(['chat_jid', 'last_message_id', 'contact_id'])
      .where('instance_id', '=', instance.id)
      .orderBy('chat_jid')
      .execute()
    expect(conversations).toEqual([
      {
        chat_jid: '15551110001@s.whatsapp.net',
        last_message_id: stored[2]!.row.id,
        contact_id: expect.any(Number),
      },
      {
        chat_jid: '15551110002@s.whatsapp.net',
        last_message_id: stored[1]!.row.id,
        contact_id: expect.any(Number),
      },
    ])
    expect(stored.map((s) => s.row.conversation_id)).toEqual([
      stored[2]!.row.conversation_id,
      expect.any(Number),
      stored[0]!.row.conversation_id,
    ])
    expect(woken).toContain(instance.id)
  })

  it('fails only the send that cannot be stored, and counts no quota for it', async () => {
    const before = await usage()
    const taken = (
      await app.database.db
        .selectFrom('messages')
        .select('whatsapp_message_id')
        .where('instance_id', '=', instance.id)
        .executeTakeFirstOrThrow()
    ).whatsapp_message_id!
    // The same WhatsApp id twice in one instance breaks its unique index.
    const results = await Promise.allSettled(
      [send('15551110003'), send('15551110004', taken), send('15551110005')].map(writer.queue),
    )
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await usage()).toBe(before + 2)
    const stored = await app.database.db
      .selectFrom('messages')
      .select('recipient_number')
      .where('instance_id', '=', instance.id)
      .where('recipient_number', 'in', ['15551110003', '15551110004', '15551110005'])
      .orderBy('recipient_number')
      .execute()
    expect(stored.map((r) => r.recipient_number)).toEqual(['15551110003', '15551110005'])
  })

  it('gives what is left of the quota to the first in line and refuses the rest', async () => {
    const left = instance.daily_limit - (await usage())
    const results = await Promise.allSettled(
      Array.from({ length: left + 2 }, (_, i) => writer.queue(send(`1555222000${i}`))),
    )
    const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    expect(fulfilled).toHaveLength(left)
    expect(fulfilled.at(-1)!.remainingQuota).toBe(0)
    const refused = results.slice(left)
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { daily_limit: instance.daily_limit, remaining_quota: 0 },
    })
    expect(await usage()).toBe(instance.daily_limit)
  })
})
