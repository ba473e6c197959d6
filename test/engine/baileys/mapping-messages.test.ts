import { proto } from 'baileys'
import { describe, expect, it } from 'vitest'
import { CONTACT, CONTACT_LID, feed, GROUP, incoming, ME, T, waMessage } from './mapping-helpers.js'

describe('Baileys mapping: received messages', () => {
  it('maps a plain text', () => {
    const out = feed((emit) =>
      emit('messages.upsert', { type: 'notify', messages: [incoming('A1', { conversation: 'Hello!' })] }),
    )
    expect(out.types()).toEqual(['message'])
    expect(out.of('message')[0]).toMatchObject({
      direction: 'in',
      id: 'A1',
      chatJid: CONTACT,
      senderJid: CONTACT,
      pushName: 'John Doe',
      fromMe: false,
      timestamp: T * 1000,
      type: 'text',
      text: 'Hello!',
      isGroup: false,
    })
    expect(out.of('message')[0]?.raw).toBeDefined()
    expect(out.of('message')[0]?.offline).toBeUndefined()
  })

  it('maps an extended text with mentions and the message it replies to', () => {
    const msg = incoming('A2', {
      extendedTextMessage: {
        text: 'see https://example.com @5511911112222',
        matchedText: 'https://example.com',
        contextInfo: { stanzaId: 'Q1', participant: ME, mentionedJid: ['5511911112222@s.whatsapp.net'] },
      },
    })
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [msg] }))
    expect(out.of('message')[0]).toMatchObject({
      type: 'text',
      text: 'see https://example.com @5511911112222',
      quotedId: 'Q1',
      mentions: ['5511911112222@s.whatsapp.net'],
    })
  })

  it('maps an image with its caption', () => {
    const msg = incoming('A3', {
      imageMessage: {
        caption: 'look',
        mimetype: 'image/jpeg',
        fileLength: 52_000,
        width: 800,
        height: 600,
        url: 'https://mmg.whatsapp.net/x',
        mediaKey: new Uint8Array(32),
      },
    })
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [msg] }))
    expect(out.of('message')[0]).toMatchObject({
      type: 'image',
      caption: 'look',
      media: { mimetype: 'image/jpeg', size: 52_000, width: 800, height: 600 },
    })
    expect(out.of('message')[0]?.text).toBeUndefined()
  })

  it('maps a voice note (PTT audio)', () => {
    const msg = incoming('A4', {
      audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 7, fileLength: 9000 },
    })
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [msg] }))
    expect(out.of('message')[0]).toMatchObject({
      type: 'audio',
      media: { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 7, size: 9000 },
    })
  })

  it('maps a document, also when wrapped with a caption', () => {
    const plain = incoming('A5', {
      documentMessage: { mimetype: 'application/pdf', fileName: 'invoice.pdf', fileLength: 1234 },
    })
    const wrapped = incoming('A6', {
      documentWithCaptionMessage: {
        message: { documentMessage: { mimetype: 'text/csv', fileName: 'data.csv', caption: 'the data' } },
      },
    })
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [plain, wrapped] }))
    expect(
      out.of('message').map((m) => [m.id, m.type, m.caption, m.media?.fileName, m.media?.mimetype]),
    ).toEqual([
      ['A5', 'document', undefined, 'invoice.pdf', 'application/pdf'],
      ['A6', 'document', 'the data', 'data.csv', 'text/csv'],
    ])
  })

  it('maps locations, contacts and unknown content', () => {
    const out = feed((emit) =>
      emit('messages.upsert', {
        type: 'notify',
        messages: [
          incoming('L1', {
            locationMessage: { degreesLatitude: -23.5, degreesLongitude: -46.6, name: 'Office' },
          }),
          incoming('C1', { contactMessage: { displayName: 'Ana', vcard: 'BEGIN:VCARD' } }),
          incoming('U1', { groupInviteMessage: { groupJid: GROUP, inviteCode: 'abc' } }),
        ],
      }),
    )
    expect(out.of('message').map((m) => m.type)).toEqual(['location', 'contact', 'unknown'])
    expect(out.of('message')[0]?.location).toEqual({
      latitude: -23.5,
      longitude: -46.6,
      name: 'Office',
      address: undefined,
    })
    expect(out.of('message')[1]?.contacts).toEqual([{ name: 'Ana', vcard: 'BEGIN:VCARD' }])
  })

  it('maps an append upsert: offline traffic and this instance’s own messages', () => {
    const offline = incoming('B1', { conversation: 'sent while you were away' })
    const own = waMessage({
      key: { remoteJid: CONTACT, fromMe: true, id: 'B2' },
      message: { conversation: 'from my phone' },
      messageTimestamp: T + 5,
      status: proto.WebMessageInfo.Status.SERVER_ACK,
    })
    const out = feed((emit) => emit('messages.upsert', { type: 'append', messages: [offline, own] }))
    expect(out.types()).toEqual(['message', 'message', 'receipt'])
    expect(out.of('message')[0]).toMatchObject({ id: 'B1', direction: 'in', offline: true })
    expect(out.of('message')[1]).toMatchObject({
      id: 'B2',
      direction: 'out',
      fromMe: true,
      senderJid: ME,
      chatJid: CONTACT,
    })
    expect(out.of('message')[1]?.offline).toBeUndefined()
    expect(out.of('receipt')[0]).toMatchObject({ messageId: 'B2', status: 'sent' })
  })

  it('prefers the phone JID of a contact addressed by LID, and reports the pair', () => {
    const msg = waMessage(
      {
        key: { remoteJid: CONTACT_LID, fromMe: false, id: 'D1' },
        message: { conversation: 'hi' },
        messageTimestamp: T,
      },
      { remoteJidAlt: CONTACT },
    )
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [msg] }))
    expect(out.types()).toEqual(['lid-mapping', 'message'])
    expect(out.of('lid-mapping')[0]).toEqual({ lid: CONTACT_LID, phone: '5511987654321' })
    expect(out.of('message')[0]).toMatchObject({
      chatJid: CONTACT,
      senderJid: CONTACT,
      senderLid: CONTACT_LID,
    })
  })

  it('maps a group message from a member addressed by LID', () => {
    const msg = waMessage(
      {
        key: { remoteJid: GROUP, fromMe: false, id: 'G1', participant: CONTACT_LID },
        message: { conversation: 'hi group' },
        messageTimestamp: T,
      },
      { participantAlt: `${CONTACT.split('@')[0]}:3@s.whatsapp.net` },
    )
    const out = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [msg] }))
    expect(out.of('message')[0]).toMatchObject({
      chatJid: GROUP,
      senderJid: CONTACT,
      senderLid: CONTACT_LID,
      isGroup: true,
    })
    expect(out.of('lid-mapping')).toEqual([{ lid: CONTACT_LID, phone: '5511987654321' }])
  })

  it('reports a CIPHERTEXT stub as a placeholder, then the real message with the same id', () => {
    const stub = waMessage({
      key: { remoteJid: CONTACT, fromMe: false, id: 'E1' },
      messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT,
      messageStubParameters: ['No session record'],
      messageTimestamp: T,
    })
    const first = feed((emit) => emit('messages.upsert', { type: 'notify', messages: [stub] }))
    expect(first.of('message')).toEqual([
      expect.objectContaining({ id: 'E1', type: 'unknown', placeholder: true, chatJid: CONTACT }),
    ])
    expect(first.of('message')[0]?.text).toBeUndefined()
    const real = feed((emit) =>
      emit('messages.upsert', {
        type: 'notify',
        messages: [incoming('E1', { conversation: 'decrypted at last' })],
      }),
    )
    expect(real.of('message')).toEqual([
      expect.objectContaining({ id: 'E1', type: 'text', text: 'decrypted at last' }),
    ])
    expect(real.of('message')[0]?.placeholder).toBeUndefined()
  })

  it('skips group notifications, protocol messages, status posts and channels', () => {
    const out = feed((emit) =>
      emit('messages.upsert', {
        type: 'append',
        messages: [
          waMessage({
            key: { remoteJid: GROUP, fromMe: false, id: 'S1' },
            messageStubType: proto.WebMessageInfo.StubType.GROUP_PARTICIPANT_ADD,
            messageStubParameters: ['{}'],
          }),
          incoming('S2', {
            protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: 'X' } },
          }),
          incoming('S3', { senderKeyDistributionMessage: { groupId: GROUP } }),
          waMessage({
            key: { remoteJid: 'status@broadcast', fromMe: false, id: 'S4', participant: CONTACT },
            message: { conversation: 'story' },
          }),
          waMessage({
            key: { remoteJid: '1203630000@newsletter', fromMe: false, id: 'S5' },
            message: { conversation: 'news' },
          }),
        ],
      }),
    )
    expect(out.items).toEqual([])
  })
})
