import { DisconnectReason } from 'baileys'
import { expect, it } from 'vitest'
import { MemoryAuth, startSimulator, TestClient, textOf, trustSimulator } from './index.js'

// The README's quick start, kept runnable.
it('runs the quick start from the README', async () => {
  const sim = await startSimulator()
  trustSimulator(sim)
  try {
    const phone = sim.createPhone({ phoneNumber: '5511912345678', pushName: 'Owner' })
    const alice = sim.createContact({ pushName: 'Alice' })

    const auth = new MemoryAuth()
    const linking = new TestClient(sim, auth)
    await phone.scanQr(await linking.waitForQr())
    expect((await linking.waitForClose()).statusCode).toBe(DisconnectReason.restartRequired)

    const client = new TestClient(sim, auth)
    await client.waitForOpen()
    const sent = await client.sock.sendMessage(alice.jid, { text: 'hi' })
    expect(textOf(await alice.waitForMessage((m) => m.id === sent?.key.id))).toBe('hi')

    const id = await alice.sendText(phone.jid, 'hello back')
    await client.waitForUpsert((m) => m.key.id === id)
    await client.end()
  } finally {
    await sim.close()
  }
})
