import { proto } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, type TestClient, trustSimulator } from './client.js'
import { textOf } from './party.js'
import type { Phone } from './phone.js'
import { startSimulator, type WaSimulator } from './server.js'

describe('two linked accounts writing to each other', () => {
  let sim: WaSimulator
  let ana: Phone
  let ben: Phone
  let anaClient: TestClient
  let benClient: TestClient

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    ana = sim.createPhone({ pushName: 'Ana' })
    ben = sim.createPhone({ pushName: 'Ben' })
    const anaAuth = new MemoryAuth()
    const benAuth = new MemoryAuth()
    await linkWithQr(sim, ana, anaAuth)
    await linkWithQr(sim, ben, benAuth)
    anaClient = await connectClient(sim, anaAuth)
    benClient = await connectClient(sim, benAuth)
    await Promise.all([anaClient.waitForInitialSync(), benClient.waitForInitialSync()])
  })

  afterAll(async () => {
    await anaClient?.end()
    await benClient?.end()
    await sim?.close()
  })

  it('relays encrypted messages and receipts between two real clients', async () => {
    const sent = await anaClient.sock.sendMessage(ben.jid, { text: 'hi ben' })
    const id = sent?.key.id ?? ''
    const { message } = await benClient.waitForUpsert((m) => m.key.id === id)
    expect(textOf(message.message)).toBe('hi ben')
    expect(message.key.fromMe).toBe(false)
    // Ben's phone got its copy too, as a real primary device would.
    expect(textOf(await ben.waitForMessage((m) => m.id === id))).toBe('hi ben')
    // Ben's client confirmed delivery to Ana.
    await anaClient.waitForStatus(id, proto.WebMessageInfo.Status.DELIVERY_ACK)

    const reply = await benClient.sock.sendMessage(ana.jid, { text: 'hi ana' })
    const got = await anaClient.waitForUpsert((m) => m.key.id === reply?.key.id)
    expect(textOf(got.message.message)).toBe('hi ana')
    expect(sim.errors).toEqual([])
  })
})
