import { proto } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuth } from './auth-state.js'
import { connectClient, linkWithQr, type TestClient, trustSimulator } from './client.js'
import type { Contact } from './contact.js'
import { textOf } from './party.js'
import type { Phone } from './phone.js'
import { startSimulator, type WaSimulator } from './server.js'

const Status = proto.WebMessageInfo.Status

describe('1:1 end-to-end encrypted messages', () => {
  let sim: WaSimulator
  let phone: Phone
  let alice: Contact
  let client: TestClient

  beforeAll(async () => {
    sim = await startSimulator()
    trustSimulator(sim)
    phone = sim.createPhone({ pushName: 'Owner' })
    alice = sim.createContact({ pushName: 'Alice' })
    const auth = new MemoryAuth()
    await linkWithQr(sim, phone, auth)
    client = await connectClient(sim, auth)
  })

  afterAll(async () => {
    await client?.end()
    await sim?.close()
  })

  it('delivers what the client sends, decrypted, to the contact', async () => {
    const sent = await client.sock.sendMessage(alice.jid, { text: 'hello alice' })
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id)
    expect(textOf(got)).toBe('hello alice')
    expect(got.from).toBe(phone.jid)
    expect(got.encType).toBe('pkmsg')

    // Until the contact answers, Signal keeps sending prekey messages.
    const second = await client.sock.sendMessage(alice.jid, { text: 'second one' })
    const got2 = await alice.waitForMessage((m) => m.id === second?.key.id)
    expect(textOf(got2)).toBe('second one')
    expect(got2.encType).toBe('pkmsg')
    // The phone received the client's own copies (device-sent messages) of both.
    const copy = await phone.waitForMessage((m) => m.id === second?.key.id)
    expect(copy.message.deviceSentMessage).toBeTruthy()
    expect(textOf(copy)).toBe('second one')
    expect(sim.errors).toEqual([])
  })

  it('turns delivery, read and played receipts into message status updates', async () => {
    // An offline contact: nothing is delivered until it says so.
    const erin = sim.createContact({ pushName: 'Erin', autoDeliveryReceipts: false })
    const sent = await client.sock.sendMessage(erin.jid, { text: 'status please' })
    const id = sent?.key.id ?? ''
    await erin.waitForMessage((m) => m.id === id)
    erin.markDelivered(phone.jid, [id])
    await client.waitForStatus(id, Status.DELIVERY_ACK)
    erin.markRead(phone.jid, [id])
    const read = await client.waitForUpdate((u) => u.key.id === id && u.update.status === Status.READ)
    expect(read.key.fromMe).toBe(true)
    erin.markPlayed(phone.jid, [id])
    await client.waitForUpdate((u) => u.key.id === id && u.update.status === Status.PLAYED)

    // An online contact confirms delivery by itself.
    const online = await client.sock.sendMessage(alice.jid, { text: 'are you online?' })
    await client.waitForStatus(online?.key.id ?? '', Status.DELIVERY_ACK)
  })

  it('delivers what the contact sends as messages.upsert, and the client acknowledges it', async () => {
    const id = await alice.sendText(phone.jid, 'hi from alice')
    const { message, type } = await client.waitForUpsert((m) => m.key.id === id)
    expect(type).toBe('notify')
    expect(message.key.fromMe).toBe(false)
    expect(textOf(message.message)).toBe('hi from alice')
    expect(message.pushName).toBe('Alice')
    const receipt = await alice.waitForReceipt((r) => r.ids.includes(id))
    expect(receipt.from).toBe(phone.jid)

    const id2 = await alice.sendText(phone.jid, 'and again')
    const again = await client.waitForUpsert((m) => m.key.id === id2)
    expect(textOf(again.message.message)).toBe('and again')

    // Now that the contact has answered, the client's session is established: plain `msg`.
    const reply = await client.sock.sendMessage(alice.jid, { text: 'established' })
    const got = await alice.waitForMessage((m) => m.id === reply?.key.id)
    expect(got.encType).toBe('msg')
    expect(textOf(got)).toBe('established')
  })

  it('carries reactions, edits and revokes from the contact', async () => {
    const sent = await client.sock.sendMessage(alice.jid, { text: 'react to me' })
    const sentId = sent?.key.id ?? ''
    await alice.waitForMessage((m) => m.id === sentId)
    const reactionId = await alice.react(phone.jid, { id: sentId, fromMe: false }, '👍')
    const reaction = await client.waitForUpsert((m) => m.key.id === reactionId)
    expect(reaction.message.message?.reactionMessage?.text).toBe('👍')
    expect(reaction.message.message?.reactionMessage?.key?.id).toBe(sentId)

    const original = await alice.sendText(phone.jid, 'tpyo')
    await client.waitForUpsert((m) => m.key.id === original)
    await alice.edit(phone.jid, original, 'typo')
    const edit = await client.waitForUpdate((u) => u.key.id === original && !!u.update.message)
    expect(textOf(edit.update.message?.editedMessage?.message)).toBe('typo')

    const doomed = await alice.sendText(phone.jid, 'delete me')
    await client.waitForUpsert((m) => m.key.id === doomed)
    await alice.revoke(phone.jid, doomed)
    const revoke = await client.waitForUpdate((u) => u.key.id === doomed && u.update.message === null)
    expect(revoke.update.messageStubType).toBe(proto.WebMessageInfo.StubType.REVOKE)
    expect(sim.errors).toEqual([])
  })

  it('works with a contact that writes from its LID, and with replies to the LID', async () => {
    const bob = sim.createContact({ pushName: 'Bob', addressing: 'lid' })
    const id = await bob.sendText(phone.jid, 'hi from my lid')
    const { message } = await client.waitForUpsert((m) => m.key.id === id)
    expect(message.key.remoteJid).toBe(bob.lid)
    expect(message.key.remoteJidAlt).toBe(bob.jid)
    expect(textOf(message.message)).toBe('hi from my lid')

    const reply = await client.sock.sendMessage(bob.lid, { text: 'reply to lid' })
    const got = await bob.waitForMessage((m) => m.id === reply?.key.id)
    expect(textOf(got)).toBe('reply to lid')
    expect(got.from).toBe(phone.jid)
    await client.waitForStatus(reply?.key.id ?? '', Status.DELIVERY_ACK)
    bob.markRead(phone.jid, [reply?.key.id ?? ''])
    const read = await client.waitForUpdate(
      (u) => u.key.id === reply?.key.id && u.update.status === Status.READ,
    )
    expect(read.key.remoteJid).toBe(bob.lid)
    expect(sim.errors).toEqual([])
  })

  it("shows messages written on the phone as the client's own", async () => {
    const id = await phone.sendText(alice.jid, 'typed on the phone')
    expect(textOf(await alice.waitForMessage((m) => m.id === id))).toBe('typed on the phone')
    const { message } = await client.waitForUpsert((m) => m.key.id === id)
    expect(message.key.fromMe).toBe(true)
    expect(message.key.remoteJid).toBe(alice.jid)
    expect(textOf(message.message)).toBe('typed on the phone')
  })

  it('answers number lookups: registered contacts exist, unknown numbers do not', async () => {
    const results = await client.sock.onWhatsApp(alice.phoneNumber, '5511000000099')
    expect(results).toEqual([{ jid: alice.jid, exists: true }])
  })

  it("carries the client's reactions, edits, revokes and read receipts to the contact", async () => {
    const sent = await client.sock.sendMessage(alice.jid, { text: 'first draft' })
    const key = sent?.key
    if (!key) throw new Error('no key')
    await alice.waitForMessage((m) => m.id === key.id)

    const edited = await client.sock.sendMessage(alice.jid, { text: 'final text', edit: key })
    const edit = await alice.waitForMessage((m) => m.id === edited?.key.id)
    const protocol = edit.message.protocolMessage
    expect(protocol?.type).toBe(proto.Message.ProtocolMessage.Type.MESSAGE_EDIT)
    expect(protocol?.key?.id).toBe(key.id)
    expect(textOf(protocol?.editedMessage)).toBe('final text')

    const incoming = await alice.sendText(phone.jid, 'react to this')
    const { message } = await client.waitForUpsert((m) => m.key.id === incoming)
    const reacted = await client.sock.sendMessage(alice.jid, { react: { text: '❤️', key: message.key } })
    const reaction = await alice.waitForMessage((m) => m.id === reacted?.key.id)
    expect(reaction.type).toBe('reaction')
    expect(reaction.message.reactionMessage?.text).toBe('❤️')
    expect(reaction.message.reactionMessage?.key?.id).toBe(incoming)

    await client.sock.readMessages([message.key])
    const read = await alice.waitForReceipt((r) => r.ids.includes(incoming) && r.type === 'read')
    expect(read.from).toBe(phone.jid)

    const deleted = await client.sock.sendMessage(alice.jid, { delete: key })
    const revoke = await alice.waitForMessage((m) => m.id === deleted?.key.id)
    expect(revoke.message.protocolMessage?.type).toBe(proto.Message.ProtocolMessage.Type.REVOKE)
    expect(revoke.message.protocolMessage?.key?.id).toBe(key.id)
    expect(sim.errors).toEqual([])
  })
})
