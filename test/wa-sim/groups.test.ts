import type { GroupMetadata } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, type TestClient, trustSimulator } from './client.js'
import type { Contact } from './contact.js'
import { textOf } from './party.js'
import type { Phone } from './phone.js'
import { Recorder } from './record.js'
import { startSimulator, type WaSimulator } from './server.js'

describe('groups with sender keys', () => {
  let sim: WaSimulator
  let phone: Phone
  let alice: Contact
  let bob: Contact
  let client: TestClient
  const groupUpserts = new Recorder<GroupMetadata>()
  const receipts = new Recorder<{ id: string; user: string; kind: 'delivered' | 'read' }>()

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    phone = sim.createPhone({ pushName: 'Owner' })
    alice = sim.createContact({ pushName: 'Alice' })
    bob = sim.createContact({ pushName: 'Bob' })
    const auth = new MemoryAuth()
    await linkWithQr(sim, phone, auth)
    client = await connectClient(sim, auth)
    client.sock.ev.on('groups.upsert', (groups) => {
      for (const group of groups) groupUpserts.push(group)
    })
    client.sock.ev.on('message-receipt.update', (updates) => {
      for (const { key, receipt } of updates) {
        const kind = receipt.readTimestamp ? 'read' : 'delivered'
        receipts.push({ id: key.id ?? '', user: receipt.userJid ?? '', kind })
      }
    })
    await client.waitForInitialSync()
  })

  afterAll(async () => {
    await client?.end()
    await sim?.close()
  })

  it('creates a group and reads its metadata', async () => {
    const created = await client.sock.groupCreate('Team', [alice.jid, bob.jid])
    expect(created.subject).toBe('Team')
    expect(created.id).toMatch(/@g\.us$/)
    const ids = created.participants.map((p) => p.id).sort()
    expect(ids).toEqual([phone.lid, alice.lid, bob.lid].sort())
    expect(created.participants.find((p) => p.id === phone.lid)?.admin).toBe('superadmin')

    const metadata = await client.sock.groupMetadata(created.id)
    expect(metadata.participants.find((p) => p.id === alice.lid)?.phoneNumber).toBe(alice.jid)
  })

  it('sends a group message that every member decrypts with the sender key', async () => {
    const group = await client.sock.groupCreate('Announcements', [alice.jid, bob.jid])
    const first = await client.sock.sendMessage(group.id, { text: 'hello group' })
    const atAlice = await alice.waitForMessage((m) => m.id === first?.key.id)
    const atBob = await bob.waitForMessage((m) => m.id === first?.key.id)
    expect(textOf(atAlice)).toBe('hello group')
    expect(textOf(atBob)).toBe('hello group')
    expect(atAlice.chat).toBe(group.id)
    expect(atAlice.encType).toBe('skmsg')

    // The second message reuses the sender key already handed out: only an skmsg travels.
    const second = await client.sock.sendMessage(group.id, { text: 'second' })
    expect(textOf(await bob.waitForMessage((m) => m.id === second?.key.id))).toBe('second')

    // Receipts in a group come per member: message-receipt.update, or folded into the client's
    // own upsert when they arrive while Baileys still buffers it (the contacts' phones confirm
    // delivery at once). Read receipts come on demand.
    const id = second?.key.id ?? ''
    await client.waitForUpsert((m) => m.key.id === id)
    alice.markGroupRead(group.id, phone.jid, [id])
    await receipts.waitFor((r) => r.id === id && r.user === alice.lid && r.kind === 'read')
    expect(sim.errors).toEqual([])
  })

  it('delivers group messages from contacts, in a group a contact created', async () => {
    const group = sim.createGroup('Contacts', alice, [phone, bob])
    const upsert = await groupUpserts.waitFor((g) => g.id === group.id)
    expect(upsert.subject).toBe('Contacts')

    const id = await alice.sendGroupText(group.id, 'hi all')
    const { message } = await client.waitForUpsert((m) => m.key.id === id)
    expect(message.key.remoteJid).toBe(group.id)
    expect(message.key.participant).toBe(alice.lid)
    expect(textOf(message.message)).toBe('hi all')
    expect(textOf(await bob.waitForMessage((m) => m.id === id))).toBe('hi all')

    const id2 = await bob.sendGroupText(group.id, 'hi alice')
    expect(textOf((await client.waitForUpsert((m) => m.key.id === id2)).message.message)).toBe('hi alice')

    const reply = await client.sock.sendMessage(group.id, { text: 'hi both' })
    expect(textOf(await alice.waitForMessage((m) => m.id === reply?.key.id))).toBe('hi both')
    expect(sim.errors).toEqual([])
  })
})
