import { describe, expect, it } from 'vitest'
import { connectedEngine, makeNetwork } from './setup.js'

const ME = '5511900000001'
const OTHER = '5511900000002'
const THIRD = '5511900000003'
const CONTACT = '5511987654321'

describe('sandbox engine: sending', () => {
  it('acknowledges a text, then reports sent and delivered, in order', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const result = await engine.sendText({ to: `+${CONTACT}`, text: 'Hello' })
    expect(result).toEqual({
      id: expect.stringMatching(/^3EB0/),
      timestamp: clock.now(),
      chatJid: `${CONTACT}@s.whatsapp.net`,
    })
    // Events travel asynchronously, after the send resolved.
    expect(events.items).toEqual([])
    await network.settle()
    expect(events.types()).toEqual(['message', 'receipt:sent', 'receipt:delivered'])
    expect(events.of('message')[0]).toMatchObject({
      direction: 'out',
      id: result.id,
      chatJid: `${CONTACT}@s.whatsapp.net`,
      senderJid: `${ME}@s.whatsapp.net`,
      fromMe: true,
      type: 'text',
      text: 'Hello',
      isGroup: false,
    })
    expect(events.of('receipt').map((r) => r.messageId)).toEqual([result.id, result.id])
  })

  it('stops at sent when the instance does not auto-deliver, until a receipt call', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME, { settings: { autoDeliver: false } })
    const { id } = await engine.sendText({ to: CONTACT, text: 'one' })
    await network.settle()
    expect(events.types()).toEqual(['message', 'receipt:sent'])
    await engine.receipt(id, 'delivered')
    await engine.receipt(id, 'read')
    expect(events.of('receipt').map((r) => r.status)).toEqual(['sent', 'delivered', 'read'])
    expect(events.of('receipt')[2]).toMatchObject({ messageId: id, chatJid: `${CONTACT}@s.whatsapp.net` })
    engine.configure({ autoDeliver: true })
    events.clear()
    await engine.sendText({ to: CONTACT, text: 'two' })
    await network.settle()
    expect(events.types()).toEqual(['message', 'receipt:sent', 'receipt:delivered'])
  })

  it('reports played for a voice note', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const audio = Buffer.from('OggS fake opus')
    const { id } = await engine.sendMedia({
      to: CONTACT,
      kind: 'audio',
      data: audio,
      mimetype: 'audio/ogg; codecs=opus',
      ptt: true,
    })
    await engine.receipt(id, 'played')
    expect(events.of('receipt').map((r) => r.status)).toEqual(['sent', 'delivered', 'played'])
    const [message] = events.of('message')
    expect(message).toMatchObject({
      type: 'audio',
      media: { mimetype: 'audio/ogg; codecs=opus', ptt: true, size: audio.length },
    })
    expect(await engine.downloadMedia(message!)).toEqual(audio)
  })

  it('refuses numbers that are not on WhatsApp and things that are not recipients', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    await expect(engine.sendText({ to: '5511999990000', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_ON_WHATSAPP',
      transient: false,
    })
    await expect(engine.sendText({ to: 'hello', text: 'x' })).rejects.toMatchObject({
      code: 'INVALID_RECIPIENT',
    })
    await expect(engine.sendText({ to: '123@g.us', text: 'x' })).rejects.toMatchObject({
      code: 'GROUP_NOT_FOUND',
    })
    await expect(engine.sendText({ to: CONTACT, text: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await network.settle()
    expect(events.items).toEqual([])
    expect(network.reached()).toEqual([])
  })

  it('records everything that reached WhatsApp, once each, with pre-assigned ids', async () => {
    const { network } = makeNetwork()
    const { engine } = await connectedEngine(network, ME)
    const chosen = engine.generateMessageId()
    const a = await engine.sendText({ to: CONTACT, text: 'first', id: chosen })
    const b = await engine.sendMedia({
      to: CONTACT,
      kind: 'image',
      data: Buffer.from('png'),
      mimetype: 'image/png',
      caption: 'pic',
    })
    const r = await engine.sendReaction({ chatJid: CONTACT, messageId: a.id, emoji: '👍' })
    const e = await engine.editMessage({ chatJid: CONTACT, messageId: a.id, text: 'first!' })
    const d = await engine.revokeMessage({ chatJid: CONTACT, messageId: b.id })
    expect(a.id).toBe(chosen)
    const reached = network.reached({ instanceId: `inst-${ME}` })
    expect(reached.map((x) => [x.type, x.id, x.targetId])).toEqual([
      ['text', a.id, undefined],
      ['image', b.id, undefined],
      ['reaction', r.id, a.id],
      ['edit', e.id, a.id],
      ['revoke', d.id, b.id],
    ])
    expect(reached.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5])
    expect(new Set(reached.map((x) => x.id)).size).toBe(5)
    expect(reached[1]).toMatchObject({
      caption: 'pic',
      media: { mimetype: 'image/png', size: 3 },
      to: `${CONTACT}@s.whatsapp.net`,
    })
    expect(network.reached({ to: 'nobody@s.whatsapp.net' })).toEqual([])
    expect(network.duplicateIds()).toEqual([])
    expect(network.reachedTotal).toBe(5)
  })

  it('takes a resend of an id it accepted as the same message: same answer, nothing twice', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const peer = await connectedEngine(network, OTHER)
    const id = engine.generateMessageId()
    const first = await engine.sendText({ to: OTHER, text: 'once', id })
    clock.advance(5_000)
    expect(await engine.sendText({ to: OTHER, text: 'once', id })).toEqual(first)
    // Two sends of one id at the same time: one message as well.
    const twin = engine.generateMessageId()
    const [a, b] = await Promise.all([
      engine.sendText({ to: OTHER, text: 'twin', id: twin }),
      engine.sendText({ to: OTHER, text: 'twin', id: twin }),
    ])
    expect(b).toEqual(a)
    const reaction = engine.generateMessageId()
    await engine.sendReaction({ chatJid: OTHER, messageId: id, emoji: '👍', id: reaction })
    await engine.sendReaction({ chatJid: OTHER, messageId: id, emoji: '👍', id: reaction })
    await network.settle()
    expect(network.reached().map((r) => r.id)).toEqual([id, twin, reaction])
    expect(network.duplicateIds()).toEqual([])
    expect(peer.events.of('message').map((m) => m.id)).toEqual([id, twin])
    expect(peer.events.of('reaction')).toHaveLength(1)
    expect(events.of('message').map((m) => m.id)).toEqual([id, twin])
    expect(events.of('receipt').filter((r) => r.status === 'sent')).toHaveLength(2)
    // Another sender may use the same id: ids are per sender.
    const third = await connectedEngine(network, THIRD)
    await third.engine.sendText({ to: OTHER, text: 'mine', id })
    expect(network.reached({ id }).map((r) => r.from)).toEqual([ME, THIRD])
  })

  it('shows its own reactions, edits and revokes as events', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const { id } = await engine.sendText({ to: CONTACT, text: 'typo' })
    await network.settle()
    events.clear()
    await engine.sendReaction({ chatJid: CONTACT, messageId: id, emoji: '❤️' })
    await engine.sendReaction({ chatJid: CONTACT, messageId: id, emoji: '' })
    await engine.editMessage({ chatJid: `${CONTACT}@s.whatsapp.net`, messageId: id, text: 'fixed' })
    await engine.revokeMessage({ chatJid: CONTACT, messageId: id })
    await network.settle()
    expect(events.types()).toEqual(['reaction', 'reaction', 'edit', 'revoke'])
    expect(events.of('reaction').map((r) => [r.emoji, r.fromMe, r.reactorJid])).toEqual([
      ['❤️', true, `${ME}@s.whatsapp.net`],
      ['', true, `${ME}@s.whatsapp.net`],
    ])
    expect(events.of('edit')[0]).toMatchObject({ messageId: id, text: 'fixed', fromMe: true })
    expect(events.of('revoke')[0]).toMatchObject({
      messageId: id,
      chatJid: `${CONTACT}@s.whatsapp.net`,
      fromMe: true,
    })
  })

  it('checks numbers', async () => {
    const { network } = makeNetwork()
    const { engine } = await connectedEngine(network, ME)
    expect(await engine.checkNumbers(['+55 11 98765-4321', '5511999990000', 'abc'])).toEqual([
      { phone: '+55 11 98765-4321', exists: true, jid: `${CONTACT}@s.whatsapp.net` },
      { phone: '5511999990000', exists: false, jid: '5511999990000@s.whatsapp.net' },
      { phone: 'abc', exists: false, jid: null },
    ])
  })
})

describe('sandbox engine: controls', () => {
  it('delivers an inbound text with the contact and the reply it quotes', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const { id: mine } = await engine.sendText({ to: CONTACT, text: 'question?' })
    await network.settle()
    events.clear()
    const id = await engine.inbound({
      from: CONTACT,
      message: 'answer, @5511911112222',
      pushName: 'John Doe',
      replyTo: mine,
      mentions: ['5511911112222'],
    })
    expect(events.types()).toEqual(['contact', 'message'])
    expect(events.of('contact')[0]).toEqual({
      jid: `${CONTACT}@s.whatsapp.net`,
      lid: expect.stringMatching(/@lid$/),
      phone: CONTACT,
      pushName: 'John Doe',
    })
    expect(events.of('message')[0]).toMatchObject({
      direction: 'in',
      id,
      chatJid: `${CONTACT}@s.whatsapp.net`,
      senderJid: `${CONTACT}@s.whatsapp.net`,
      pushName: 'John Doe',
      fromMe: false,
      type: 'text',
      text: 'answer, @5511911112222',
      quotedId: mine,
      mentions: ['5511911112222@s.whatsapp.net'],
      isGroup: false,
    })
    // What arrives is not something this instance sent: it is not in the record.
    expect(network.reached({ id })).toEqual([])
  })

  it('delivers inbound media that can be downloaded', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const data = Buffer.from('%PDF-1.4 fake')
    await engine.inbound({
      from: CONTACT,
      mediaType: 'document',
      data,
      fileName: 'invoice.pdf',
      mimetype: 'application/pdf',
      message: 'the invoice',
    })
    const [message] = events.of('message')
    expect(message).toMatchObject({
      type: 'document',
      caption: 'the invoice',
      text: undefined,
      media: { mimetype: 'application/pdf', fileName: 'invoice.pdf', size: data.length },
    })
    expect(await engine.downloadMedia(message!)).toEqual(data)

    await engine.inbound({ from: CONTACT, mediaType: 'image', mediaUrl: 'https://example.com/a/photo.jpg' })
    const linked = events.of('message')[1]!
    expect(linked.media).toEqual({
      mimetype: 'image/jpeg',
      fileName: undefined,
      size: undefined,
      ptt: undefined,
    })
    await expect(engine.downloadMedia(linked)).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' })
    await expect(engine.inbound({ from: CONTACT })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(engine.inbound({ from: CONTACT, mediaType: 'video' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(engine.inbound({ from: ME, message: 'me?' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('fetches URL media through the network when it can', async () => {
    const { clock } = makeNetwork()
    const { SandboxNetwork } = await import('../../../src/engine/sandbox/network.js')
    const network = new SandboxNetwork({ clock, fetchMedia: async (url) => Buffer.from(`bytes of ${url}`) })
    const { engine, events } = await connectedEngine(network, ME)
    await engine.inbound({
      from: CONTACT,
      mediaType: 'audio',
      mediaUrl: 'https://example.com/v.ogg',
      ptt: true,
    })
    const [message] = events.of('message')
    expect(message?.media).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus' })
    expect((await engine.downloadMedia(message!)).toString()).toBe('bytes of https://example.com/v.ogg')
  })

  it('an inbound group message creates the group it names', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    await engine.inbound({ from: CONTACT, groupJid: '120363000000009999@g.us', message: 'hi all' })
    expect(events.types()).toEqual(['group', 'message'])
    expect(events.of('group')[0]).toMatchObject({ jid: '120363000000009999@g.us', action: 'create' })
    expect(events.of('message')[0]).toMatchObject({
      chatJid: '120363000000009999@g.us',
      senderJid: `${CONTACT}@s.whatsapp.net`,
      isGroup: true,
    })
    const groups = await engine.listGroups()
    expect(groups.map((g) => [g.jid, g.size])).toEqual([['120363000000009999@g.us', 2]])
  })

  it('reports contact reactions, added then removed', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const { id } = await engine.sendText({ to: CONTACT, text: 'hello' })
    await network.settle()
    events.clear()
    await engine.reaction(CONTACT, id, '😂')
    await engine.reaction(CONTACT, id, '')
    expect(events.of('reaction')).toEqual([
      expect.objectContaining({
        messageId: id,
        chatJid: `${CONTACT}@s.whatsapp.net`,
        reactorJid: `${CONTACT}@s.whatsapp.net`,
        emoji: '😂',
        fromMe: false,
      }),
      expect.objectContaining({ messageId: id, emoji: '' }),
    ])
  })

  it('a receipt needs a message this instance sent, unless the chat is named', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    const received = await engine.inbound({ from: CONTACT, message: 'hi' })
    await expect(engine.receipt(received, 'read')).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' })
    await expect(engine.receipt('3EB0UNKNOWN', 'read')).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' })
    await engine.receipt('3EB0FORGOTTEN', 'read', { chatJid: CONTACT })
    expect(events.of('receipt')).toEqual([
      expect.objectContaining({
        messageId: '3EB0FORGOTTEN',
        chatJid: `${CONTACT}@s.whatsapp.net`,
        status: 'read',
      }),
    ])
  })

  it('messages that arrive while the connection is down come at the reconnection', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, ME)
    await engine.drop()
    const id = await engine.inbound({ from: CONTACT, message: 'are you there?' })
    expect(events.of('message')).toEqual([])
    clock.advance(1_000)
    await network.settle()
    expect(events.types()).toEqual([
      'connection:disconnected',
      'connection:connecting',
      'connection:connected',
      'message',
    ])
    expect(events.of('message')[0]).toMatchObject({ id, offline: true })
  })
})
