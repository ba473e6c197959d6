import { proto, type WAMessageKey } from 'baileys'
import { describe, expect, it } from 'vitest'
import { CONTACT, CONTACT_LID, feed, GROUP, incoming, ME, NOW, T, waMessage } from './mapping-helpers.js'

const { Status, StubType } = proto.WebMessageInfo
const { Type: ProtocolType } = proto.Message.ProtocolMessage
const mine: WAMessageKey = { remoteJid: CONTACT, fromMe: true, id: 'M1' }

describe('Baileys mapping: what happens to messages', () => {
  it('maps statuses 0 to 5', () => {
    const statuses = [
      Status.ERROR,
      Status.PENDING,
      Status.SERVER_ACK,
      Status.DELIVERY_ACK,
      Status.READ,
      Status.PLAYED,
    ]
    // One batch per status: a buffer would merge updates of one message into the last.
    const mapped = statuses.map(
      (status, i) =>
        feed((emit) =>
          emit('messages.update', [
            {
              key: mine,
              update: {
                status,
                messageTimestamp: T + i,
                ...(status === 0 ? { messageStubParameters: ['479'] } : {}),
              },
            },
          ]),
        ).of('receipt')[0],
    )
    expect(mapped.map((r) => r?.status)).toEqual(['error', 'pending', 'sent', 'delivered', 'read', 'played'])
    expect(mapped[0]).toEqual({
      messageId: 'M1',
      chatJid: CONTACT,
      status: 'error',
      at: T * 1000,
      error: '479',
    })
    expect(mapped[5]).toEqual({ messageId: 'M1', chatJid: CONTACT, status: 'played', at: (T + 5) * 1000 })
  })

  it('keeps the latest status when the buffer merges several updates of one message', () => {
    const out = feed((emit) => {
      emit('messages.update', [{ key: mine, update: { status: Status.DELIVERY_ACK, messageTimestamp: T } }])
      emit('messages.update', [{ key: mine, update: { status: Status.READ, messageTimestamp: T + 1 } }])
    })
    expect(out.of('receipt').map((r) => r.status)).toEqual(['read'])
  })

  it('maps a reaction added, then removed', () => {
    const reactionKey = { remoteJid: CONTACT, fromMe: false, id: 'R1' }
    const added = feed((emit) => {
      // Baileys upserts the reaction message itself, then reports the reaction.
      emit('messages.upsert', {
        type: 'notify',
        messages: [
          incoming('R1', { reactionMessage: { key: mine, text: '👍', senderTimestampMs: NOW - 1 } }),
        ],
      })
      emit('messages.reaction', [
        { key: mine, reaction: { key: reactionKey, text: '👍', senderTimestampMs: NOW - 1 } },
      ])
    })
    expect(added.items).toEqual([
      {
        type: 'reaction',
        data: {
          messageId: 'M1',
          chatJid: CONTACT,
          reactorJid: CONTACT,
          fromMe: false,
          emoji: '👍',
          at: NOW - 1,
        },
      },
    ])
    const removed = feed((emit) =>
      emit('messages.reaction', [
        { key: mine, reaction: { key: { ...reactionKey, id: 'R2' }, text: '', senderTimestampMs: NOW } },
      ]),
    )
    expect(removed.of('reaction')).toEqual([
      expect.objectContaining({ messageId: 'M1', emoji: '', reactorJid: CONTACT }),
    ])
  })

  it('maps this instance’s own reaction and a group member’s', () => {
    const theirs: WAMessageKey = { remoteJid: GROUP, fromMe: false, id: 'G9', participant: CONTACT }
    const out = feed((emit) =>
      emit('messages.reaction', [
        { key: theirs, reaction: { key: { remoteJid: GROUP, fromMe: true, id: 'R3' }, text: '❤️' } },
        {
          key: mine,
          reaction: {
            key: {
              remoteJid: GROUP,
              fromMe: false,
              id: 'R4',
              participant: CONTACT_LID,
              participantAlt: CONTACT,
            } as WAMessageKey,
            text: '😮',
          },
        },
      ]),
    )
    expect(out.of('reaction').map((r) => [r.messageId, r.chatJid, r.reactorJid, r.fromMe, r.emoji])).toEqual([
      ['G9', GROUP, ME, true, '❤️'],
      ['M1', CONTACT, CONTACT, false, '😮'],
    ])
  })

  it('maps a revoke, skipping the protocol message that carried it', () => {
    const revokeKey = { remoteJid: CONTACT, fromMe: false, id: 'P1' }
    const out = feed((emit) => {
      emit('messages.upsert', {
        type: 'notify',
        messages: [
          incoming('P1', {
            protocolMessage: {
              type: ProtocolType.REVOKE,
              key: { remoteJid: CONTACT, fromMe: true, id: 'A1' },
            },
          }),
        ],
      })
      emit('messages.update', [
        {
          key: { ...revokeKey, id: 'A1' },
          update: { message: null, messageStubType: StubType.REVOKE, key: revokeKey },
        },
      ])
    })
    expect(out.items).toEqual([
      { type: 'revoke', data: { messageId: 'A1', chatJid: CONTACT, fromMe: false, at: NOW } },
    ])
  })

  it('maps an edit of a text and of a caption', () => {
    const out = feed((emit) => {
      emit('messages.upsert', {
        type: 'notify',
        messages: [
          incoming('P2', {
            protocolMessage: {
              type: ProtocolType.MESSAGE_EDIT,
              key: { id: 'A2' },
              editedMessage: { conversation: 'fixed' },
            },
          }),
        ],
      })
      emit('messages.update', [
        {
          key: { remoteJid: CONTACT, fromMe: false, id: 'A2' },
          update: {
            message: { editedMessage: { message: { conversation: 'fixed' } } },
            messageTimestamp: T + 60,
          },
        },
        {
          key: { remoteJid: CONTACT, fromMe: true, id: 'A3' },
          update: { message: { editedMessage: { message: { imageMessage: { caption: 'new caption' } } } } },
        },
      ])
    })
    expect(out.of('edit')).toEqual([
      { messageId: 'A2', chatJid: CONTACT, text: 'fixed', fromMe: false, at: (T + 60) * 1000 },
      { messageId: 'A3', chatJid: CONTACT, text: 'new caption', fromMe: true, at: NOW },
    ])
    expect(out.of('message')).toEqual([])
  })

  it('unfolds an update the buffer merged into the upsert of its message', () => {
    const own = waMessage({
      key: mine,
      message: { conversation: 'hi' },
      messageTimestamp: T,
      status: Status.PENDING,
    })
    const out = feed((emit) => {
      emit('messages.upsert', { type: 'append', messages: [own] })
      emit('messages.update', [{ key: mine, update: { status: Status.DELIVERY_ACK } }])
    })
    expect(out.types()).toEqual(['message', 'receipt'])
    expect(out.of('receipt')[0]).toMatchObject({ messageId: 'M1', status: 'delivered' })
  })

  it('maps group receipts per member', () => {
    const key: WAMessageKey = { remoteJid: GROUP, fromMe: true, id: 'GM1' }
    const out = feed((emit) =>
      emit('message-receipt.update', [
        { key, receipt: { userJid: CONTACT, receiptTimestamp: T } },
        {
          key,
          receipt: { userJid: '5511911112222@s.whatsapp.net', receiptTimestamp: T, readTimestamp: T + 9 },
        },
      ]),
    )
    expect(out.of('receipt')).toEqual([
      { messageId: 'GM1', chatJid: GROUP, status: 'delivered', at: T * 1000, participant: CONTACT },
      {
        messageId: 'GM1',
        chatJid: GROUP,
        status: 'read',
        at: (T + 9) * 1000,
        participant: '5511911112222@s.whatsapp.net',
      },
    ])
  })
})

describe('Baileys mapping: contacts, LIDs and groups', () => {
  it('maps contacts and LID mappings', () => {
    const out = feed((emit) => {
      emit('contacts.upsert', [{ id: CONTACT_LID, phoneNumber: CONTACT, name: 'John (saved)' }])
      emit('contacts.update', [{ id: '5511933334444@s.whatsapp.net', notify: 'Ana' }])
      emit('lid-mapping.update', { lid: '333333333333333@lid', pn: '5511944445555:2@s.whatsapp.net' })
    })
    // `lid-mapping.update` is not buffered: it passes before the batch is flushed.
    expect(out.items).toEqual([
      { type: 'lid-mapping', data: { lid: '333333333333333@lid', phone: '5511944445555' } },
      { type: 'lid-mapping', data: { lid: CONTACT_LID, phone: '5511987654321' } },
      {
        type: 'contact',
        data: { jid: CONTACT, lid: CONTACT_LID, phone: '5511987654321', name: 'John (saved)' },
      },
      {
        type: 'contact',
        data: { jid: '5511933334444@s.whatsapp.net', phone: '5511933334444', pushName: 'Ana' },
      },
    ])
  })

  it('maps group participants given as LIDs', () => {
    const out = feed((emit) =>
      emit('group-participants.update', {
        id: GROUP,
        author: '444444444444444@lid',
        authorPn: '5511955556666@s.whatsapp.net',
        action: 'add',
        participants: [
          { id: CONTACT_LID, phoneNumber: CONTACT, admin: null },
          { id: '555555555555555@lid', admin: null },
        ],
      }),
    )
    expect(out.types()).toEqual(['lid-mapping', 'group'])
    expect(out.of('lid-mapping')).toEqual([{ lid: CONTACT_LID, phone: '5511987654321' }])
    expect(out.of('group')[0]).toEqual({
      jid: GROUP,
      action: 'add',
      author: '5511955556666@s.whatsapp.net',
      at: NOW,
      participants: [
        { jid: CONTACT, lid: CONTACT_LID, phone: '5511987654321', admin: null },
        { jid: '555555555555555@lid', lid: '555555555555555@lid', admin: null },
      ],
    })
  })

  it('maps group updates and a group this instance joined', () => {
    const out = feed((emit) => {
      emit('groups.update', [{ id: GROUP, subject: 'New name', author: CONTACT }])
      emit('groups.upsert', [
        {
          id: '120363000000000002@g.us',
          subject: 'Joined',
          owner: CONTACT,
          creation: T,
          participants: [
            { id: ME, admin: null },
            { id: CONTACT, admin: 'superadmin' },
          ],
        },
      ])
    })
    expect(out.of('group')).toEqual([
      {
        jid: '120363000000000002@g.us',
        action: 'create',
        subject: 'Joined',
        author: CONTACT,
        at: T * 1000,
        participants: [
          { jid: ME, phone: '5511900000001', admin: null },
          { jid: CONTACT, phone: '5511987654321', admin: 'superadmin' },
        ],
      },
      { jid: GROUP, action: 'update', subject: 'New name', author: CONTACT, participants: [], at: NOW },
    ])
  })
})
