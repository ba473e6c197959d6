import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  type Contact,
  type Phone,
  parseQr,
  startSimulator,
  textOf,
  trustSimulator,
  type WaSimulator,
} from '../wa-sim/index.js'
import {
  apiMessage,
  authRows,
  createBaileysInstance,
  dropKeptDatabase,
  eventsOf,
  type Owner,
  startZapini,
  WAIT,
  waitForQr,
  waitForStatus,
} from './support.js'

/**
 * One `baileys` instance through Zapini's HTTP API, end to end against the WhatsApp simulator:
 * the real Baileys client inside the real server, linked by QR, messaging a simulated contact
 * whose phone decrypts what it gets, and surviving a restart of the server on its stored session.
 */
describe('a baileys instance through the HTTP API, against the WhatsApp simulator', () => {
  // The same key before and after the restart, as a real deployment keeps it.
  const env = { APP_KEY: randomBytes(32).toString('base64') }
  let sim: WaSimulator
  let first: TestApp
  let app: TestApp
  let owner: Owner
  let phone: Phone
  let alice: Contact
  let instance: { id: number; uuid: string }
  let deviceJid: string
  let sentId: string

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    first = await startZapini(sim.url, { env, keepDatabase: true })
    app = first
    owner = await first.register()
    phone = sim.createPhone({ pushName: 'Owner' })
    // Receipts on demand, so that every status step can be seen.
    alice = sim.createContact({ pushName: 'Alice', autoDeliveryReceipts: false })
  })
  afterAll(async () => {
    await app?.close()
    if (app !== first) await first?.close()
    await sim?.close()
    if (first) await dropKeptDatabase(first)
  })

  it("shows the simulator's QR; the phone scans it and the instance is connected with the phone's number", async () => {
    instance = await createBaileysInstance(app, owner)
    const qr = await waitForQr(app, owner, instance.uuid)
    // The QR Baileys made from one of the simulator's pair-device refs, with the client's keys.
    const { ref, noiseKey } = parseQr(qr)
    expect(ref).toMatch(/^2@/)
    expect(noiseKey).toHaveLength(32)
    const shown = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
    expect(shown.body.data.qr_code).toMatch(/^data:image\/png;base64,/)
    expect(shown.body.data.qr).toBe(qr)

    deviceJid = await phone.scanQr(qr)
    expect(deviceJid).toMatch(new RegExp(`^${phone.phoneNumber}:\\d+@s\\.whatsapp\\.net$`))

    const status = await waitForStatus(app, owner, instance.uuid, 'connected')
    expect(status).toMatchObject({ connected: true, phone_number: phone.phoneNumber })
    const row = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token: owner.token })
    expect(row.body.data).toMatchObject({
      status: 'connected',
      connected: true,
      phone_number: phone.phoneNumber,
      last_error: null,
    })
    const after = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
    expect(after.body.data).toMatchObject({ status: 'connected', qr_code_text: null })

    expect(phone.linkedDevices).toEqual([deviceJid])
    expect(sim.logins.items.filter((login) => login.device === deviceJid)).toHaveLength(1)
    // The session is in the database: creds, and the Signal keys Baileys uploaded.
    const stored = await authRows(app.database, instance.id)
    expect(stored.creds).toBe(1)
    expect(stored.keys).toBeGreaterThan(0)
    const types = (await eventsOf(app.database, instance.id)).map((e) => e.type)
    expect(types.indexOf('instance.qr')).toBeGreaterThanOrEqual(0)
    expect(types.indexOf('instance.qr')).toBeLessThan(types.indexOf('instance.connected'))
  })

  it('sends a text that reaches the contact decrypted and equal, then follows its receipts to delivered and read', async () => {
    const text = `Olá Alice! Ünïcödé, emoji 👋🏽 and a long line: ${'x'.repeat(300)}`
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: `+${alice.phoneNumber}`, message: text },
    })
    expect(queued.status, queued.text).toBe(201)
    expect(queued.body.data.status).toBe('pending')
    const uuid = queued.body.data.uuid

    const got = await alice.waitForMessage((m) => m.from === phone.jid, WAIT)
    expect(textOf(got)).toBe(text)
    expect(got.fromDevice).toBe(deviceJid)
    // The first message opens the Signal session.
    expect(got.encType).toBe('pkmsg')
    sentId = got.id

    const sent = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(res.body.data.status).toBe('sent')
      return res.body.data
    }, WAIT)
    expect(sent.sent_at).not.toBeNull()
    expect(sent.delivered_at).toBeNull()
    const message = (await app.request('GET', `/api/v1/messages/${uuid}`, { token: owner.token })).body.data
    // The id stored before sending is the one WhatsApp saw.
    expect(message).toMatchObject({ whatsapp_message_id: got.id, direction: 'outgoing', message_body: text })

    alice.markDelivered(phone.jid, [got.id])
    const delivered = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(res.body.data.status).toBe('delivered')
      return res.body.data
    }, WAIT)
    expect(delivered.delivered_at).not.toBeNull()
    expect(delivered.read_at).toBeNull()

    alice.markRead(phone.jid, [got.id])
    const read = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(res.body.data.status).toBe('read')
      return res.body.data
    }, WAIT)
    expect(read.read_at).not.toBeNull()

    // Each step was announced, in order.
    const steps = (await eventsOf(app.database, instance.id))
      .filter((e) => e.type === 'message.status' && e.data['whatsapp_message_id'] === got.id)
      .map((e) => e.data['new_status'])
    expect(steps.slice(-2)).toEqual(['delivered', 'read'])
    expect(sim.errors).toEqual([])
  })

  it("stores the contact's message as incoming, in a conversation with that contact", async () => {
    const text = 'Oi! Tudo bem? Preciso de ajuda com o pedido 42'
    const id = await alice.sendText(phone.jid, text)
    const incoming = await apiMessage(app, owner, instance.uuid, id, 'incoming')
    expect(incoming).toMatchObject({
      direction: 'incoming',
      is_from_me: false,
      type: 'text',
      message_body: text,
      chat_jid: alice.jid,
      sender_number: alice.phoneNumber,
      sender_name: 'Alice',
    })
    expect(incoming.conversation_id).toEqual(expect.any(Number))
    // Baileys confirms delivery to the sender's phone, as WhatsApp shows with two ticks.
    await alice.receipts.waitFor((r) => r.ids.includes(id) && r.type === 'delivery', WAIT)

    const list = await app.request('GET', `/api/v1/conversations?instance_id=${instance.uuid}`, {
      token: owner.token,
    })
    expect(list.status, list.text).toBe(200)
    expect(list.body.data).toHaveLength(1)
    const [conversation] = list.body.data
    expect(conversation).toMatchObject({
      numeric_id: incoming.conversation_id,
      instance_uuid: instance.uuid,
      chat_jid: alice.jid,
      contact_number: alice.phoneNumber,
      is_group: false,
      unread_count: 1,
    })
    // Both ways in the same conversation: what the instance sent and what the contact wrote.
    const history = await app.request('GET', `/api/v1/conversations/${conversation.uuid}/messages`, {
      token: owner.token,
    })
    expect(history.status, history.text).toBe(200)
    const ids = history.body.data.messages.map((m: { whatsapp_message_id: string }) => m.whatsapp_message_id)
    expect(ids).toEqual([sentId, id])
    expect(sim.errors).toEqual([])
  })

  // A delivery receipt may be stored before the sender records WhatsApp's acknowledgement.
  it('records when a message was sent even when its recipient confirms delivery at once', async () => {
    // An online phone: it confirms every message the moment it decrypts it.
    const carol = sim.createContact({ pushName: 'Carol' })
    const uuids: string[] = []
    for (let i = 1; i <= 5; i++) {
      const queued = await app.request('POST', '/api/v1/messages/send', {
        token: owner.token,
        body: { instance_id: instance.uuid, recipient: carol.jid, message: `quick ${i}` },
      })
      expect(queued.status, queued.text).toBe(201)
      uuids.push(queued.body.data.uuid)
    }
    await eventually(() => expect(carol.messages.items).toHaveLength(5), WAIT)
    for (const uuid of uuids) {
      const delivered = await eventually(async () => {
        const res = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
        expect(res.body.data.status).toBe('delivered')
        return res.body.data
      }, WAIT)
      expect(delivered.delivered_at).not.toBeNull()
      expect(delivered.sent_at, `sent_at of a delivered message (${uuid})`).not.toBeNull()
    }
  })

  it('restarted on the same database, the server reconnects the instance from its stored session, without a QR', async () => {
    const before = await eventsOf(app.database, instance.id)
    const loginsBefore = sim.logins.items.length
    await app.close()
    // The server is down: the simulator sees the device go offline.
    await eventually(() => expect(sim.connectionOf(deviceJid)).toBeUndefined(), WAIT)

    app = await startZapini(sim.url, { env, databaseUrl: first.databaseUrl })
    const status = await waitForStatus(app, owner, instance.uuid, 'connected')
    expect(status.phone_number).toBe(phone.phoneNumber)

    // A login with the stored creds of the same device; no new pairing, no new QR.
    const logins = sim.logins.items.slice(loginsBefore)
    expect(logins.map((login) => login.device)).toEqual([deviceJid])
    expect(phone.linkedDevices).toEqual([deviceJid])
    const after = (await eventsOf(app.database, instance.id)).slice(before.length)
    expect(after.map((e) => e.type)).toContain('instance.connected')
    expect(after.map((e) => e.type)).not.toContain('instance.qr')
    const qr = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
    expect(qr.body.data).toMatchObject({ status: 'connected', qr_code_text: null })

    // The contact writes first, on the Signal session it already has: only the session stored in
    // the database decrypts it (a message that does not decrypt is stored without its text).
    const hello = await alice.sendText(phone.jid, 'welcome back')
    const stored = await apiMessage(app, owner, instance.uuid, hello, 'incoming')
    expect(stored.message_body).toBe('welcome back')
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: alice.jid, message: 'back after a restart' },
    })
    expect(queued.status, queued.text).toBe(201)
    const got = await alice.waitForMessage((m) => textOf(m) === 'back after a restart', WAIT)
    alice.markRead(phone.jid, [got.id])
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${queued.body.data.uuid}/status`, {
        token: owner.token,
      })
      expect(res.body.data.status).toBe('read')
    }, WAIT)
    expect(sim.errors).toEqual([])
  })
})
