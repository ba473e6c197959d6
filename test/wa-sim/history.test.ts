import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, trustSimulator } from './client.js'
import { textOf } from './party.js'
import { startSimulator, type WaSimulator } from './server.js'

describe('initial history pushed by the phone', () => {
  let sim: WaSimulator

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
  })

  afterAll(async () => {
    await sim.close()
  })

  it('hands the new device its chats and lets Baileys release its events at once', async () => {
    const phone = sim.createPhone({ pushName: 'Owner' })
    const dora = sim.createContact({ pushName: 'Dora' })
    phone.seedHistory(dora, [
      { fromMe: false, text: 'are you there?' },
      { fromMe: true, text: 'yes' },
    ])
    const auth = new MemoryAuth()
    await linkWithQr(sim, phone, auth)
    const started = Date.now()
    const client = await connectClient(sim, auth)

    const history = await client.history.waitFor()
    expect(history.chats.map((c) => c.id)).toEqual([dora.jid])
    expect(history.messages.map((m) => textOf(m.message)).sort()).toEqual(['are you there?', 'yes'])
    expect(await client.sock.signalRepository.lidMapping.getLIDForPN(dora.jid)).toBe(dora.lid)

    // Without the history push Baileys would hold its first events for 20 s; 15 s leaves a
    // loaded machine room for the login and still tells the two apart.
    const id = await dora.sendText(phone.jid, 'fresh one')
    await client.waitForUpsert((m) => m.key.id === id, 15_000)
    expect(Date.now() - started).toBeLessThan(15_000)
    // The app state sync that follows found nothing to apply.
    expect(sim.iqs.items.some((iq) => iq.xmlns === 'w:sync:app:state')).toBe(true)
    expect(sim.errors).toEqual([])
    await client.end()
  })
})
