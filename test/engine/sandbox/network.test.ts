import { describe, expect, it } from 'vitest'
import { connectedEngine, makeNetwork } from './setup.js'

const A = '5511900000001'
const B = '5511900000002'
const C = '5511900000003'
const jid = (phone: string) => `${phone}@s.whatsapp.net`

describe('sandbox network: instances talking to each other', () => {
  it('delivers a message from one instance to the other, and the receipts back', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    const sent = await a.engine.sendText({ to: B, text: 'hi B' })
    await network.settle()
    expect(a.events.types()).toEqual(['message', 'receipt:sent', 'receipt:delivered'])
    expect(b.events.types()).toEqual(['message'])
    expect(b.events.of('message')[0]).toMatchObject({
      direction: 'in',
      id: sent.id,
      chatJid: jid(A),
      senderJid: jid(A),
      fromMe: false,
      text: 'hi B',
      pushName: `Sandbox ${A.slice(-4)}`,
    })
    expect(b.events.of('message')[0]?.offline).toBeUndefined()

    await b.engine.markRead([{ chatJid: jid(A), messageId: sent.id }])
    await network.settle()
    expect(a.events.of('receipt').at(-1)).toMatchObject({
      messageId: sent.id,
      chatJid: jid(B),
      status: 'read',
    })

    const reply = await b.engine.sendText({ to: jid(A), text: 'hi A', quotedId: sent.id })
    await network.settle()
    expect(a.events.of('message').at(-1)).toMatchObject({
      id: reply.id,
      direction: 'in',
      quotedId: sent.id,
      chatJid: jid(B),
    })
  })

  it('shows reactions, edits and revokes to the other side', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    const { id } = await a.engine.sendText({ to: B, text: 'draft' })
    await b.engine.sendReaction({ chatJid: A, messageId: id, emoji: '🔥' })
    await a.engine.editMessage({ chatJid: B, messageId: id, text: 'final' })
    await a.engine.revokeMessage({ chatJid: B, messageId: id })
    await network.settle()
    expect(a.events.of('reaction')).toEqual([
      expect.objectContaining({
        messageId: id,
        chatJid: jid(B),
        reactorJid: jid(B),
        fromMe: false,
        emoji: '🔥',
      }),
    ])
    expect(b.events.of('edit')).toEqual([
      expect.objectContaining({ messageId: id, chatJid: jid(A), text: 'final', fromMe: false }),
    ])
    expect(b.events.of('revoke')).toEqual([
      expect.objectContaining({ messageId: id, chatJid: jid(A), fromMe: false }),
    ])
  })

  it('holds messages for an offline instance and delivers them, with the delivered receipt, when it returns', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    await b.engine.disconnect()
    const media = Buffer.from('jpeg bytes')
    const first = await a.engine.sendText({ to: B, text: 'while you were away' })
    const second = await a.engine.sendMedia({ to: B, kind: 'image', data: media, mimetype: 'image/jpeg' })
    await network.settle()
    expect(a.events.types()).toEqual(['message', 'receipt:sent', 'message', 'receipt:sent'])
    b.events.clear()
    await b.engine.connect()
    await network.settle()
    expect(b.events.types()).toEqual(['connection:connecting', 'connection:connected', 'message', 'message'])
    const held = b.events.of('message')
    expect(held.map((m) => [m.id, m.offline])).toEqual([
      [first.id, true],
      [second.id, true],
    ])
    expect(await b.engine.downloadMedia(held[1]!)).toEqual(media)
    expect(
      a.events
        .of('receipt')
        .filter((r) => r.status === 'delivered')
        .map((r) => r.messageId),
    ).toEqual([first.id, second.id])
  })

  it('forgets a logged-out number: nothing waits for it any more', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    await b.engine.logout()
    await a.engine.sendText({ to: B, text: 'gone?' })
    await network.settle()
    // B is an ordinary simulated contact now: delivered at once.
    expect(a.events.types()).toEqual(['message', 'receipt:sent', 'receipt:delivered'])
  })
})

describe('sandbox network: groups', () => {
  it('creates a group, fans messages out and tells members about changes', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    const group = await a.engine.createGroup('Team', [B, '5511987654321', '5511999990000'])
    expect(group).toMatchObject({ subject: 'Team', owner: jid(A), size: 3 })
    expect(group.participants.map((p) => [p.phone, p.admin])).toEqual([
      [A, 'superadmin'],
      [B, null],
      ['5511987654321', null],
    ])
    await network.settle()
    expect(b.events.of('group')[0]).toMatchObject({
      jid: group.jid,
      action: 'create',
      subject: 'Team',
      author: jid(A),
    })
    expect(a.events.of('group')).toHaveLength(1)

    const sent = await a.engine.sendText({ to: group.jid, text: 'hello team', mentions: [B] })
    await network.settle()
    expect(a.events.of('message').at(-1)).toMatchObject({ id: sent.id, chatJid: group.jid, isGroup: true })
    expect(b.events.of('message').at(-1)).toMatchObject({
      id: sent.id,
      chatJid: group.jid,
      senderJid: jid(A),
      isGroup: true,
      mentions: [jid(B)],
    })
    await b.engine.markRead([{ chatJid: group.jid, messageId: sent.id, participant: jid(A) }])
    await network.settle()
    expect(a.events.of('receipt').at(-1)).toMatchObject({
      messageId: sent.id,
      chatJid: group.jid,
      status: 'read',
      participant: jid(B),
    })

    a.events.clear()
    b.events.clear()
    const results = await a.engine.updateGroupParticipants(group.jid, [C, B, '5511999990000', 'x'], 'add')
    expect(results.map((r) => [r.jid, r.status, r.ok])).toEqual([
      [jid(C), 200, true],
      [jid(B), 409, false],
      [jid('5511999990000'), 404, false],
      ['x', 400, false],
    ])
    await a.engine.updateGroupParticipants(group.jid, [B], 'promote')
    await a.engine.updateGroupSubject(group.jid, 'Team 2')
    await a.engine.updateGroupDescription(group.jid, 'All of us')
    await network.settle()
    expect(
      b.events
        .of('group')
        .map((g) => [g.action, g.participants.map((p) => p.phone), g.subject, g.description]),
    ).toEqual([
      ['add', [C], undefined, undefined],
      ['promote', [B], undefined, undefined],
      ['update', [], 'Team 2', undefined],
      ['update', [], undefined, 'All of us'],
    ])
    expect(await b.engine.groupMetadata(group.jid)).toMatchObject({
      subject: 'Team 2',
      description: 'All of us',
      size: 4,
    })
  })

  it('guards admin operations, invites and leaving', async () => {
    const { network } = makeNetwork()
    const a = await connectedEngine(network, A)
    const b = await connectedEngine(network, B)
    const c = await connectedEngine(network, C)
    const group = await a.engine.createGroup('Club', [B])
    await expect(b.engine.updateGroupParticipants(group.jid, [C], 'add')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(b.engine.groupInviteCode(group.jid)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(c.engine.groupMetadata(group.jid)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(c.engine.sendText({ to: group.jid, text: 'let me in' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(a.engine.groupMetadata('120363999999999999@g.us')).rejects.toMatchObject({
      code: 'GROUP_NOT_FOUND',
    })
    await expect(a.engine.createGroup('  ', [B])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })

    const code = await a.engine.groupInviteCode(group.jid)
    expect(code).toMatch(/^[A-Za-z0-9]{22}$/)
    expect(await a.engine.groupInviteCode(group.jid)).toBe(code)
    const fresh = await a.engine.revokeGroupInvite(group.jid)
    expect(fresh).not.toBe(code)

    await a.engine.leaveGroup(group.jid)
    await network.settle()
    expect(b.events.of('group').at(-1)).toMatchObject({
      action: 'remove',
      participants: [expect.objectContaining({ phone: A })],
    })
    expect(await a.engine.listGroups()).toEqual([])
    // The owner left: the remaining member inherits the group.
    const now = await b.engine.groupMetadata(group.jid)
    expect(now.owner).toBe(jid(B))
    expect(now.participants).toEqual([expect.objectContaining({ phone: B, admin: 'superadmin' })])
  })
})
