import { randomBytes } from 'node:crypto'
import { downloadMediaMessage } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, type TestClient, trustSimulator } from './client.js'
import type { Contact } from './contact.js'
import type { Phone } from './phone.js'
import { startSimulator, type WaSimulator } from './server.js'

// A 1x1 PNG followed by noise, so that the payload spans several AES blocks.
const PNG = Buffer.concat([
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
  randomBytes(3000),
])

describe('media both ways through the loopback media server', () => {
  let sim: WaSimulator
  let phone: Phone
  let alice: Contact
  let client: TestClient

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    phone = sim.createPhone()
    alice = sim.createContact({ pushName: 'Alice' })
    const auth = new MemoryAuth()
    await linkWithQr(sim, phone, auth)
    client = await connectClient(sim, auth)
  })

  afterAll(async () => {
    await client?.end()
    await sim?.close()
  })

  it('uploads an image the client sends; the contact downloads and decrypts it', async () => {
    const sent = await client.sock.sendMessage(alice.jid, {
      image: PNG,
      caption: 'a picture',
      mimetype: 'image/png',
    })
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id)
    expect(got.type).toBe('media')
    expect(got.message.imageMessage?.caption).toBe('a picture')
    expect(got.message.imageMessage?.mimetype).toBe('image/png')
    const { kind, data } = alice.downloadMedia(got)
    expect(kind).toBe('image')
    expect(data.equals(PNG)).toBe(true)
    expect(sim.media.uploads.items).toHaveLength(1)
    expect(sim.media.uploads.items[0]?.path).toMatch(/^\/mms\/image\//)
  })

  it('delivers an image from the contact that the client downloads and decrypts', async () => {
    const id = await alice.sendImage(phone.jid, PNG, { caption: 'from alice', mimetype: 'image/png' })
    const { message } = await client.waitForUpsert((m) => m.key.id === id)
    expect(message.message?.imageMessage?.caption).toBe('from alice')
    const data = await downloadMediaMessage(message, 'buffer', {})
    expect(Buffer.from(data).equals(PNG)).toBe(true)
    expect(sim.errors).toEqual([])
  })
})
