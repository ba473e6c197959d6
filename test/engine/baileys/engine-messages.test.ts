import { proto } from 'baileys'
import { describe, expect, it } from 'vitest'
import { BaileysEngine } from '../../../src/engine/baileys/engine.js'
import { MemoryAuthStateStore } from '../../../src/engine/memory-auth-store.js'
import { collect } from '../helpers.js'
import { fakeSockets } from './fake-socket.js'
import { waMessage } from './mapping-helpers.js'

const ME = { id: '5511900000001:7@s.whatsapp.net', lid: '111111111111111:7@lid', name: 'Shop' }
const CONTACT = '5511987654321@s.whatsapp.net'
const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function connected(options: { ackTimeoutMs?: number } = {}) {
  const auth = new MemoryAuthStateStore()
  const sockets = fakeSockets()
  const engine = new BaileysEngine({ auth, makeSocket: sockets.makeSocket, cacheKeys: false, ...options })
  const events = collect(engine)
  await engine.connect()
  await settle()
  sockets.last.pair(ME)
  sockets.last.open()
  await settle()
  events.clear()
  return { engine, sock: sockets.last, events }
}

describe('Baileys engine: sending', () => {
  it('resolves a text send on the server acknowledgement, with the canonical recipient', async () => {
    const { engine, sock, events } = await connected()
    const id = engine.generateMessageId()
    const result = await engine.sendText({
      to: '+55 11 98765-4321',
      text: 'Hello',
      id,
      mentions: ['5511911112222'],
    })
    // The number check answered the spelling WhatsApp knows (without the 9th digit).
    expect(result).toEqual({ id, timestamp: 1705312201_000, chatJid: '551187654321@s.whatsapp.net' })
    expect(sock.sent[0]).toMatchObject({
      jid: '551187654321@s.whatsapp.net',
      content: { text: 'Hello', mentions: ['5511911112222@s.whatsapp.net'] },
      options: { messageId: id },
    })
    await settle()
    expect(events.of('receipt')).toEqual([
      { messageId: id, chatJid: '551187654321@s.whatsapp.net', status: 'sent', at: 1705312201_000 },
    ])
    await engine.sendText({ to: '5511987654321', text: 'again' })
    expect(sock.onWhatsAppCalls).toEqual([['5511987654321']])
  })

  it('refuses numbers that are not on WhatsApp, and sends nothing', async () => {
    const { engine, sock } = await connected()
    await expect(engine.sendText({ to: '5511999990000', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_ON_WHATSAPP',
      transient: false,
    })
    await expect(engine.sendText({ to: 'nobody', text: 'x' })).rejects.toMatchObject({
      code: 'INVALID_RECIPIENT',
    })
    expect(sock.sent).toEqual([])
  })

  it('distinguishes a refused message from an unanswered one', async () => {
    const { engine, sock } = await connected({ ackTimeoutMs: 50 })
    sock.ack = 'error'
    await expect(engine.sendText({ to: '120363000000000001@g.us', text: 'x' })).rejects.toMatchObject({
      code: 'SEND_REJECTED',
      transient: false,
      details: { error: '479' },
    })
    sock.ack = 'none'
    const timeout = await engine
      .sendText({ to: '120363000000000001@g.us', text: 'x' })
      .catch((e: unknown) => e)
    expect(timeout).toMatchObject({ code: 'TIMEOUT', transient: true })
    expect((timeout as { details: { id: string } }).details.id).toBe(sock.sent[1]?.options.messageId)
  })

  it('reports a socket that closed during a send as transient, and a closed connection as not connected', async () => {
    const { engine, sock } = await connected()
    sock.ended = true
    await expect(engine.sendText({ to: '120363000000000001@g.us', text: 'x' })).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
      transient: true,
    })
    sock.ended = false
    await sock.close(428)
    await settle()
    await expect(engine.sendText({ to: CONTACT, text: 'x' })).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
  })

  it('builds media, reaction, edit and revoke contents', async () => {
    const { engine, sock } = await connected()
    const voice = Buffer.from('opus')
    await engine.sendMedia({
      to: CONTACT,
      kind: 'audio',
      data: voice,
      mimetype: 'audio/ogg; codecs=opus',
      ptt: true,
      seconds: 3,
    })
    await engine.sendMedia({
      to: CONTACT,
      kind: 'document',
      data: Buffer.from('pdf'),
      mimetype: 'application/pdf',
      fileName: 'a.pdf',
      caption: 'doc',
    })
    await engine.sendMedia({
      to: CONTACT,
      kind: 'image',
      data: Buffer.from('png'),
      mimetype: 'image/png',
      caption: 'pic',
    })
    await engine.sendMedia({
      to: CONTACT,
      kind: 'video',
      data: Buffer.from('mp4'),
      mimetype: 'video/mp4',
      mentions: ['5511911112222'],
    })
    await engine.sendReaction({ chatJid: CONTACT, messageId: 'M1', emoji: '' })
    await engine.editMessage({ chatJid: '5511987654321', messageId: 'M2', text: 'fixed' })
    await engine.revokeMessage({ chatJid: CONTACT, messageId: 'M3' })
    expect(sock.sent.map((s) => s.content)).toEqual([
      { audio: voice, mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 3 },
      { document: Buffer.from('pdf'), mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'doc' },
      { image: Buffer.from('png'), mimetype: 'image/png', caption: 'pic', mentions: undefined },
      {
        video: Buffer.from('mp4'),
        mimetype: 'video/mp4',
        caption: undefined,
        mentions: ['5511911112222@s.whatsapp.net'],
      },
      { react: { text: '', key: { remoteJid: CONTACT, id: 'M1', fromMe: false, participant: undefined } } },
      { text: 'fixed', edit: { remoteJid: CONTACT, id: 'M2', fromMe: true } },
      { delete: { remoteJid: CONTACT, id: 'M3', fromMe: true, participant: undefined } },
    ])
  })

  it('quotes a message it received, as Baileys needs it', async () => {
    const { engine, sock } = await connected()
    sock.ev.emit('messages.upsert', {
      type: 'notify',
      messages: [
        waMessage({
          key: { remoteJid: CONTACT, fromMe: false, id: 'IN1' },
          message: { conversation: 'question' },
          messageTimestamp: 1705312200,
        }),
      ],
    })
    await settle()
    await engine.sendText({ to: CONTACT, text: 'answer', quotedId: 'IN1' })
    expect(sock.sent[0]?.options.quoted).toMatchObject({
      key: { id: 'IN1' },
      message: { conversation: 'question' },
    })
    await engine.sendText({
      to: CONTACT,
      text: 'answer',
      quotedId: 'OLD',
      quoted: { text: 'old one', fromMe: true },
    })
    expect(sock.sent[1]?.options.quoted).toEqual({
      key: { remoteJid: '551187654321@s.whatsapp.net', id: 'OLD', fromMe: true },
      message: { conversation: 'old one' },
    })
  })

  it('checks numbers and marks messages read', async () => {
    const { engine, sock } = await connected()
    expect(await engine.checkNumbers(['5511987654321', '5511999990000', 'x'])).toEqual([
      { phone: '5511987654321', exists: true, jid: '551187654321@s.whatsapp.net' },
      { phone: '5511999990000', exists: false, jid: '5511999990000@s.whatsapp.net' },
      { phone: 'x', exists: false, jid: null },
    ])
    await engine.markRead([{ chatJid: CONTACT, messageId: 'IN1' }])
    expect(sock.reads).toEqual([[{ remoteJid: CONTACT, id: 'IN1', fromMe: false, participant: undefined }]])
  })
})

describe('Baileys engine: events and groups', () => {
  it('turns socket events into engine events, resolving LIDs it knows once', async () => {
    const { sock, events } = await connected()
    sock.lids.set('222222222222222@lid', '5511987654321:0@s.whatsapp.net')
    const message = (id: string) =>
      waMessage({
        key: { remoteJid: '222222222222222@lid', fromMe: false, id },
        message: { conversation: 'via lid' },
        messageTimestamp: 1705312200,
      })
    sock.ev.emit('messages.upsert', { type: 'notify', messages: [message('L1')] })
    sock.ev.emit('messages.upsert', { type: 'notify', messages: [message('L2')] })
    await settle()
    expect(events.types()).toEqual(['lid-mapping', 'message', 'message'])
    expect(events.of('lid-mapping')).toEqual([{ lid: '222222222222222@lid', phone: '5511987654321' }])
    expect(events.of('message').map((m) => [m.id, m.chatJid, m.senderJid, m.senderLid])).toEqual([
      ['L1', CONTACT, CONTACT, '222222222222222@lid'],
      ['L2', CONTACT, CONTACT, '222222222222222@lid'],
    ])
  })

  it('runs group operations and caches metadata for group sends', async () => {
    const { engine, sock } = await connected()
    const created = await engine.createGroup('Team', ['5511987654321'])
    expect(created).toMatchObject({ subject: 'Team', owner: '5511900000001@s.whatsapp.net', size: 2 })
    const cached = await sock.config.cachedGroupMetadata?.(created.jid)
    expect(cached?.subject).toBe('Team')
    await engine.updateGroupSubject(created.jid, 'Team 2')
    expect(await sock.config.cachedGroupMetadata?.(created.jid)).toBeUndefined()
    expect((await engine.groupMetadata(created.jid)).subject).toBe('Team 2')
    expect(
      await engine.updateGroupParticipants(created.jid, ['5511933334444', '5511999998888'], 'add'),
    ).toEqual([
      { jid: '5511933334444@s.whatsapp.net', status: 200, ok: true },
      { jid: '5511999998888@s.whatsapp.net', status: 403, ok: false },
    ])
    expect(await engine.groupInviteCode(created.jid)).toBe('INVITE1')
    expect(await engine.revokeGroupInvite(created.jid)).toBe('INVITE2')
    expect((await engine.listGroups()).map((g) => g.jid)).toEqual([created.jid])
    await expect(engine.groupMetadata('120363999999999999@g.us')).rejects.toMatchObject({
      code: 'GROUP_NOT_FOUND',
    })
    await expect(engine.groupMetadata('5511987654321')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await engine.leaveGroup(created.jid)
    expect(await engine.listGroups()).toEqual([])
  })

  it('refuses to download what carries no media', async () => {
    const { engine } = await connected()
    await expect(engine.downloadMedia({ id: 'X', chatJid: CONTACT })).rejects.toMatchObject({
      code: 'MEDIA_UNAVAILABLE',
    })
    const raw = proto.WebMessageInfo.fromObject({ key: { id: 'T' }, message: { conversation: 'text' } })
    await expect(engine.downloadMedia({ id: 'T', chatJid: CONTACT, raw })).rejects.toMatchObject({
      code: 'MEDIA_UNAVAILABLE',
    })
  })
})
