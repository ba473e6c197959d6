import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  type Contact,
  type Phone,
  startSimulator,
  textOf,
  trustSimulator,
  type WaSimulator,
} from '../wa-sim/index.js'
import {
  apiMessage,
  authRows,
  eventsOf,
  type LinkedInstance,
  linkedInstance,
  type Owner,
  type StoredEvent,
  startRelay,
  startZapini,
  WAIT,
  waitForStatus,
} from './support.js'

/** The supervisor's production backoff: the first retry waits 0.5–1 s, each next one twice as long. */
const BASE_MS = 1000

/**
 * How a linked `baileys` instance lives through the ends of its connection: the simulator cutting
 * the socket, WhatsApp out of reach for a while, and the phone unlinking the device.
 */
describe('a baileys instance when its connection ends', () => {
  let sim: WaSimulator
  let relay: Awaited<ReturnType<typeof startRelay>>
  let app: TestApp
  let owner: Owner
  let phone: Phone
  let alice: Contact
  let instance: LinkedInstance

  /** Events of the instance appended since `from` (an index into its events). */
  const eventsSince = async (from: number): Promise<StoredEvent[]> =>
    (await eventsOf(app.database, instance.id)).slice(from)
  const countEvents = async () => (await eventsOf(app.database, instance.id)).length
  const loginsOf = (device: string) => sim.logins.items.filter((login) => login.device === device).length

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    // Zapini reaches the simulator through a relay the test can cut.
    relay = await startRelay(sim.url)
    app = await startZapini(relay.url)
    owner = await app.register()
    phone = sim.createPhone({ pushName: 'Owner' })
    alice = sim.createContact({ pushName: 'Alice' })
    instance = await linkedInstance(app, owner, phone)
  })
  afterAll(async () => {
    await app?.close()
    await relay?.close()
    await sim?.close()
  })

  it('reconnects by itself after the simulator drops the connection, on the stored session', async () => {
    const from = await countEvents()
    const logins = loginsOf(instance.deviceJid)
    sim.dropConnection(instance.deviceJid)

    await eventually(async () => {
      const types = (await eventsSince(from)).map((e) => e.type)
      expect(types).toEqual(expect.arrayContaining(['instance.disconnected', 'instance.connected']))
      expect(types.indexOf('instance.disconnected')).toBeLessThan(types.lastIndexOf('instance.connected'))
    }, WAIT)
    const events = await eventsSince(from)
    const dropped = events.find((e) => e.type === 'instance.disconnected')!
    const back = events.find((e) => e.type === 'instance.connected')!
    // A plain close (428): reconnecting is right, after the first backoff step.
    expect(dropped.data).toMatchObject({ new_status: 'disconnected', status_code: 428 })
    expect(back.at - dropped.at).toBeGreaterThanOrEqual(BASE_MS / 2)
    expect(events.map((e) => e.type)).not.toContain('instance.qr')

    const status = await waitForStatus(app, owner, instance.uuid, 'connected')
    expect(status.phone_number).toBe(phone.phoneNumber)
    expect(loginsOf(instance.deviceJid)).toBe(logins + 1)
    expect(phone.linkedDevices).toEqual([instance.deviceJid])

    // The connection works: a message each way.
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: `+${alice.phoneNumber}`, message: 'after the drop' },
    })
    expect(queued.status, queued.text).toBe(201)
    expect(textOf(await alice.waitForMessage((m) => textOf(m) === 'after the drop', WAIT))).toBe(
      'after the drop',
    )
    const id = await alice.sendText(phone.jid, 'still there?')
    expect((await apiMessage(app, owner, instance.uuid, id, 'incoming')).message_body).toBe('still there?')
    expect(sim.errors).toEqual([])
  })

  it('backs off longer after each failed attempt while WhatsApp is out of reach, then reconnects', async () => {
    const from = await countEvents()
    const logins = loginsOf(instance.deviceJid)
    relay.block()
    sim.dropConnection(instance.deviceJid)

    // The drop, then three failed attempts: four disconnections, each further apart.
    const closes = await eventually(async () => {
      const found = (await eventsSince(from)).filter((e) => e.type === 'instance.disconnected')
      expect(found.length).toBeGreaterThanOrEqual(4)
      return found
    }, WAIT)
    const gaps = closes.slice(1, 4).map((e, i) => e.at - closes[i]!.at)
    expect(gaps[0]).toBeGreaterThanOrEqual(BASE_MS / 2)
    expect(gaps[1]).toBeGreaterThanOrEqual(BASE_MS)
    expect(gaps[2]).toBeGreaterThanOrEqual(BASE_MS * 2)

    // Meanwhile the API answers and says why.
    const down = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token: owner.token })
    expect(down.status).toBe(200)
    expect(['disconnected', 'connecting']).toContain(down.body.data.status)
    expect(down.body.data.connected).toBe(false)
    expect(down.body.data.last_error).toBeTruthy()
    expect(loginsOf(instance.deviceJid)).toBe(logins)

    relay.unblock()
    const status = await waitForStatus(app, owner, instance.uuid, 'connected')
    expect(status).toMatchObject({ phone_number: phone.phoneNumber, last_error: null })
    expect(loginsOf(instance.deviceJid)).toBe(logins + 1)
    expect((await eventsSince(from)).map((e) => e.type)).not.toContain('instance.qr')
    // Three back-off pauses (1, 2 and 4 s, with jitter) and the reconnection take a while.
  }, 60_000)

  it('is logged out with its session wiped when the phone unlinks it, and does not reconnect', async () => {
    const from = await countEvents()
    expect((await authRows(app.database, instance.id)).creds).toBe(1)
    const logins = sim.logins.items.length
    phone.unlink(instance.deviceJid)

    const status = await waitForStatus(app, owner, instance.uuid, 'logged_out')
    expect(status).toMatchObject({ connected: false, phone_number: null })
    const ended = (await eventsSince(from)).find((e) => e.type === 'instance.disconnected')
    expect(ended?.data).toMatchObject({ new_status: 'logged_out', status_code: 401 })
    await eventually(async () => {
      expect(await authRows(app.database, instance.id)).toEqual({ creds: 0, keys: 0 })
    }, WAIT)
    const row = await app.database.db
      .selectFrom('instances')
      .select(['desired_connected', 'jid'])
      .where('id', '=', instance.id)
      .executeTakeFirstOrThrow()
    expect(Boolean(row.desired_connected)).toBe(false)
    expect(row.jid).toBeNull()
    expect(phone.linkedDevices).toEqual([])
    const qr = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token: owner.token })
    expect(qr.body.data).toMatchObject({ status: 'logged_out', qr_code_text: null })
    // Nothing tried to log in with the removed device, and no new QR was asked for.
    expect(sim.logins.items.length).toBe(logins)
    expect((await eventsSince(from)).map((e) => e.type)).not.toContain('instance.qr')
  })

  it('links again from scratch with a pairing code after the logout', async () => {
    const res = await app.request('POST', `/api/v1/instances/${instance.uuid}/pairing-code`, {
      token: owner.token,
      body: { phone_number: `+${phone.phoneNumber}` },
    })
    expect(res.status, res.text).toBe(200)
    const code = res.body.data.pairing_code as string
    expect(code).toMatch(/^[A-Z0-9]{8}$/)
    const deviceJid = await phone.enterPairingCode(code)
    // A new device: nothing of the wiped session was reused.
    expect(deviceJid).not.toBe(instance.deviceJid)
    const status = await waitForStatus(app, owner, instance.uuid, 'connected')
    expect(status.phone_number).toBe(phone.phoneNumber)
    expect(phone.linkedDevices).toEqual([deviceJid])
    expect((await authRows(app.database, instance.id)).creds).toBe(1)
    expect(sim.errors).toEqual([])
  })
})
