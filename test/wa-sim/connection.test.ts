import { DisconnectReason } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, TestClient, trustSimulator } from './client.js'
import { textOf } from './party.js'
import { startSimulator, type WaSimulator } from './server.js'

describe('connection lifecycle controls', () => {
  let sim: WaSimulator
  const open: TestClient[] = []

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
  })

  afterAll(async () => {
    for (const client of open) client.sock.end(undefined)
    await sim.close()
  })

  async function linked() {
    const phone = sim.createPhone()
    const auth = new MemoryAuth()
    const { device } = await linkWithQr(sim, phone, auth)
    const client = await connectClient(sim, auth)
    open.push(client)
    // A connection cut during the first sync would hold events for 20 s on the next one.
    await client.waitForInitialSync()
    return { phone, auth, device, client }
  }

  it('logs in again from the stored state without a QR', async () => {
    const { auth, device, client } = await linked()
    await client.end()
    const again = new TestClient(sim, auth)
    open.push(again)
    await again.waitForOpen()
    expect(again.qrs.items).toEqual([])
    expect(again.sock.user?.id).toBe(device)
    expect(sim.logins.items.filter((l) => l.device === device)).toHaveLength(2)
    await again.end()
  })

  it('closes with 401 (logged out) when the phone unlinks the device, and refuses it afterwards', async () => {
    const { phone, auth, device, client } = await linked()
    phone.unlink(device)
    const close = await client.waitForClose()
    expect(close.statusCode).toBe(DisconnectReason.loggedOut)
    expect(phone.linkedDevices).toEqual([])

    const retry = new TestClient(sim, auth)
    open.push(retry)
    expect((await retry.waitForClose()).statusCode).toBe(DisconnectReason.loggedOut)
  })

  it('closes with 440 when the connection is replaced, by control or by a second login', async () => {
    const { auth, device, client } = await linked()
    sim.replaceConnection(device)
    expect((await client.waitForClose()).statusCode).toBe(DisconnectReason.connectionReplaced)

    const first = await connectClient(sim, auth)
    open.push(first)
    const second = await connectClient(sim, auth)
    open.push(second)
    expect((await first.waitForClose()).statusCode).toBe(DisconnectReason.connectionReplaced)
    expect(sim.connectionOf(device)).toBeDefined()
    await second.end()
  })

  it('drops the socket (428, reconnectable) and delivers what arrived meanwhile at the next login', async () => {
    const { phone, auth, device, client } = await linked()
    const carol = sim.createContact({ pushName: 'Carol' })
    sim.dropConnection(device)
    expect((await client.waitForClose()).statusCode).toBe(DisconnectReason.connectionClosed)

    const id = await carol.sendText(phone.jid, 'sent while you were away')
    const back = await connectClient(sim, auth)
    open.push(back)
    const { message, type } = await back.waitForUpsert((m) => m.key.id === id)
    expect(type).toBe('append')
    expect(textOf(message.message)).toBe('sent while you were away')
    await back.end()
  })

  it('forgets the device when the client logs out by itself', async () => {
    const { phone, auth, device, client } = await linked()
    await client.sock.logout()
    expect((await client.waitForClose()).statusCode).toBe(DisconnectReason.loggedOut)
    await waitUntil(() => phone.linkedDevices.length === 0)
    expect(sim.network.findDevice(device)?.companion).toBeUndefined()
    const retry = new TestClient(sim, auth)
    open.push(retry)
    expect((await retry.waitForClose()).statusCode).toBe(DisconnectReason.loggedOut)
  })
})

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
