import { DisconnectReason, jidNormalizedUser } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, TestClient, trustSimulator } from './client.js'
import { startSimulator, type WaSimulator } from './server.js'

describe('pairing and login against the simulator', () => {
  let sim: WaSimulator

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
  })

  afterAll(async () => {
    await sim.close()
  })

  it('links by QR, restarts on 515 and logs in with the saved credentials', async () => {
    const phone = sim.createPhone({ phoneNumber: '5511912345678', pushName: 'Owner' })
    const auth = new MemoryAuth()
    const client = new TestClient(sim, auth)

    const qr = await client.waitForQr()
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/)
    const device = await phone.scanQr(qr)
    expect(device).toMatch(/^5511912345678:\d+@s\.whatsapp\.net$/)

    const restart = await client.waitForClose()
    expect(restart.statusCode).toBe(DisconnectReason.restartRequired)
    expect(auth.creds.me?.id).toBe(device)
    expect(jidNormalizedUser(auth.creds.me?.id)).toBe('5511912345678@s.whatsapp.net')
    expect(auth.creds.me?.lid).toBe(`${phone.user.lid}:${device.split(':')[1]?.split('@')[0]}@lid`)

    const session = await connectClient(sim, auth)
    expect(session.sock.user?.id).toBe(device)
    expect(session.qrs.items).toHaveLength(0)
    // The client asked how many prekeys the server holds, then uploaded a batch.
    expect(sim.iqs.items.some((iq) => iq.xmlns === 'encrypt' && iq.children.includes('count'))).toBe(true)
    expect(sim.network.findDevice(device)?.keys?.preKeys.size).toBeGreaterThan(0)
    await session.end()
  })

  it('links with a pairing code typed into the phone', async () => {
    const phone = sim.createPhone({ phoneNumber: '5511987654321' })
    const auth = new MemoryAuth()
    const client = new TestClient(sim, auth)
    await client.waitForQr()

    const code = await client.sock.requestPairingCode('5511987654321')
    expect(code).toMatch(/^[A-Z0-9]{8}$/)
    const device = await phone.enterPairingCode(code)
    expect((await client.waitForClose()).statusCode).toBe(DisconnectReason.restartRequired)
    expect(auth.creds.registered).toBe(true)
    expect(auth.creds.me?.id).toBe(device)

    const session = await connectClient(sim, auth)
    expect(session.sock.user?.id).toBe(device)
    await session.end()
  })

  it('does not link when the phone gets the wrong pairing code', async () => {
    const phone = sim.createPhone({ phoneNumber: '5511911112222' })
    const auth = new MemoryAuth()
    const client = new TestClient(sim, auth)
    await client.waitForQr()
    const code = await client.sock.requestPairingCode('5511911112222')
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`
    await expect(phone.enterPairingCode(wrong)).rejects.toThrow(/authenticate/)
    expect(phone.linkedDevices).toEqual([])
    await client.end()
  })

  it('lets two simulators of one process share the trusted root', async () => {
    const other = await startSimulator()
    try {
      expect(other.rootPublicKey.equals(sim.rootPublicKey)).toBe(true)
      const auth = new MemoryAuth()
      const { close } = await linkWithQr(other, other.createPhone(), auth)
      expect(close.statusCode).toBe(DisconnectReason.restartRequired)
      const session = await connectClient(other, auth)
      await session.end()
    } finally {
      await other.close()
    }
  })
})
