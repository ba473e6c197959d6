import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'
import {
  incomingPayload,
  instanceWithToken,
  postInbound,
  type Receiver,
  startReceiver,
} from '../webhooks/support.js'
import { openStream, type Stream } from './support.js'

// Two processes on one database. On PostgreSQL the second one polls only once a minute here, so
// that the event can only reach it in time through the wake-up channel (LISTEN/NOTIFY).
describe(`two app processes on one ${TEST_DB} database`, () => {
  let shared: TestDatabase
  let one: TestApp
  let two: TestApp
  let receiver: Receiver
  const streams: Stream[] = []

  beforeAll(async () => {
    shared = await createTestDatabase()
    const env = {
      APP_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    }
    one = await startTestApp({ databaseUrl: shared.url, env: { ...env, EVENTS_POLL_MS: '100' } })
    two = await startTestApp({
      databaseUrl: shared.url,
      env: { ...env, EVENTS_POLL_MS: TEST_DB === 'postgres' ? '60000' : '100' },
    })
    receiver = await startReceiver()
  })
  afterAll(async () => {
    for (const stream of streams) stream.close()
    await one.close()
    await two.close()
    await receiver.close()
    await shared.dispose()
  })

  it('streams on one process the events raised on the other', async () => {
    const ctx = await instanceWithToken(one)
    const onTwo = await openStream(two.url, { token: ctx.owner.token })
    const onOne = await openStream(one.url, { token: ctx.owner.token })
    streams.push(onTwo, onOne)

    const payload = incomingPayload({ message: { conversation: 'from process one' } })
    const started = Date.now()
    expect((await postInbound(one, ctx.instance.uuid, 'incoming', payload, ctx.skToken)).status).toBe(200)
    // Well inside the minute of process two's polls, even on a loaded machine.
    const seen = await onTwo.next((m) => m.event === 'message.received', 15_000)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(seen.data.whatsapp_message_id).toBe(payload.key.id)
    const local = await onOne.next((m) => m.event === 'message.received')
    expect(local.id).toBe(seen.id)
  })

  it('delivers each event to a webhook once, whichever process reads it', async () => {
    const ctx = await instanceWithToken(two)
    const put = await one.request('PUT', `/api/v1/instances/${ctx.instance.uuid}/webhook`, {
      token: ctx.owner.token,
      body: { webhook_url: receiver.url, webhook_secret: 'cluster-secret' },
    })
    expect(put.status).toBe(201)
    const sent: string[] = []
    for (let i = 0; i < 10; i++) {
      const payload = incomingPayload()
      sent.push(payload.key.id)
      await postInbound(i % 2 ? one : two, ctx.instance.uuid, 'incoming', payload, ctx.skToken)
    }
    await eventually(() => expect(receiver.of('message.received')).toHaveLength(10), 10_000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const ids = receiver.of('message.received').map((r) => r.body.data.whatsapp_message_id)
    expect(ids.sort()).toEqual([...sent].sort())
  })
})
