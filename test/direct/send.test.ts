import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  instanceToken,
  keysOf,
  type SandboxPhone,
  sandboxInstance,
  sandboxPhone,
  type TestInstance,
} from './support.js'

describe('direct sends: text, reactions, deletes', () => {
  const network = new SandboxNetwork()
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let me: TestInstance
  let sk: string
  let peer: SandboxPhone
  const onHost = () => ({ token: owner.token, headers: { host: me.host } })

  beforeAll(async () => {
    app = await startTestApp({ deps: { sandboxNetwork: network } })
    owner = await app.register()
    me = await sandboxInstance(app, owner.token, { phone: '15552220001' })
    sk = await instanceToken(app, owner.token, me.uuid)
    peer = await sandboxPhone(network, '15557770001')
  })
  afterAll(async () => {
    await peer.close()
    await app.close()
  })

  const reached = (id: string) => network.reached({ instanceId: me.uuid, id })

  it('POST /send-message sends at once and answers the documented shape', async () => {
    const res = await app.request('POST', '/send-message', {
      ...onHost(),
      body: { recipient: '15557770001', message: 'Olá! Esta é uma mensagem de teste.' },
    })
    expect(res.status).toBe(200)
    expect(keysOf(res.body)).toEqual(['message', 'messageId', 'message_id', 'success', 'timestamp'])
    expect(res.body).toMatchObject({ success: true, message: 'Message sent successfully' })
    expect(res.body.message_id).toMatch(/^3EB0/)
    expect(res.body.messageId).toBe(res.body.message_id)
    expect(new Date(res.body.timestamp).toISOString()).toBe(res.body.timestamp)

    // WhatsApp's server accepted exactly this message, once.
    expect(reached(res.body.message_id)).toEqual([
      expect.objectContaining({
        from: '15552220001',
        to: '15557770001@s.whatsapp.net',
        type: 'text',
        text: 'Olá! Esta é uma mensagem de teste.',
      }),
    ])
    const arrived = await peer.received(res.body.message_id)
    expect(arrived).toMatchObject({
      text: 'Olá! Esta é uma mensagem de teste.',
      senderJid: '15552220001@s.whatsapp.net',
    })
  })

  it('takes the recipient as recipient, number or to, in every documented spelling', async () => {
    const cases: [string, string][] = [
      ['recipient', '+15557770001'],
      ['number', '15557770001'],
      ['to', '1 555 777-0001'],
      ['number', '(155) 5777-0001'],
      ['to', '15557770001@s.whatsapp.net'],
      ['recipient', '15557770001@c.us'],
    ]
    for (const [field, value] of cases) {
      const res = await app.request('POST', '/send-message', {
        token: sk,
        body: { [field]: value, message: `via ${field} ${value}` },
      })
      expect(res.status, `${field}=${value}`).toBe(200)
      expect(reached(res.body.message_id)[0]?.to).toBe('15557770001@s.whatsapp.net')
    }
    // A Brazilian number with spaces and a dash reaches its digits.
    const br = await app.request('POST', '/send-message', {
      token: sk,
      body: { number: '5511 99999-9999', message: 'oi' },
    })
    expect(br.status).toBe(200)
    expect(reached(br.body.message_id)[0]?.to).toBe('5511999999999@s.whatsapp.net')
  })

  it('replies with reply_to or quoted_message_id', async () => {
    const first = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '15557770001', message: 'first' },
    })
    for (const field of ['reply_to', 'quoted_message_id']) {
      const reply = await app.request('POST', '/send-message', {
        token: sk,
        body: { to: '15557770001', message: `reply by ${field}`, [field]: first.body.message_id },
      })
      expect(reply.status).toBe(200)
      const arrived = await peer.received(reply.body.message_id)
      expect(arrived.quotedId).toBe(first.body.message_id)
    }
  })

  it('refuses what cannot be sent, with 422 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ message: 'no recipient' }, 'recipient'],
      [{ to: 'not a number', message: 'x' }, 'to'],
      [{ number: '12345', message: 'too short to be a phone' }, 'number'],
      [{ recipient: 'someone@example.com', message: 'x' }, 'recipient'],
      [{ recipient: '15557770001' }, 'message'],
      [{ recipient: '15557770001', message: '' }, 'message'],
      [{ recipient: '15557770001', message: 'x'.repeat(4097) }, 'message'],
    ]
    const before = network.reachedTotal
    for (const [body, field] of cases) {
      const res = await app.request('POST', '/send-message', { token: sk, body })
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422)
      expect(res.body.error.code).toBe('VALIDATION_ERROR')
      expect(Object.keys(res.body.error.details)).toContain(field)
    }
    expect(network.reachedTotal).toBe(before)
  })

  it('sends a message of exactly 4096 characters', async () => {
    const res = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '15557770001', message: 'y'.repeat(4096) },
    })
    expect(res.status).toBe(200)
    expect(reached(res.body.message_id)[0]?.text).toHaveLength(4096)
  })

  it('a number that is not on WhatsApp is 422 NOT_ON_WHATSAPP and nothing is sent', async () => {
    const before = network.reachedTotal
    const res = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '15551230000', message: 'anyone there?' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('NOT_ON_WHATSAPP')
    expect(network.reachedTotal).toBe(before)
  })

  it('an instance past its daily quota answers 429 QUOTA_EXCEEDED; reactions still go', async () => {
    const limited = await sandboxInstance(app, owner.token, { phone: '15552220002' })
    await app.request('PATCH', `/api/v1/instances/${limited.uuid}`, {
      token: owner.token,
      body: { daily_limit: 1 },
    })
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: limited.uuid, recipient: '15557770001', message: 'takes the only one' },
    })
    expect(queued.status).toBe(201)
    const host = { token: owner.token, headers: { host: limited.host } }
    const res = await app.request('POST', '/send-message', {
      ...host,
      body: { to: '15557770001', message: 'x' },
    })
    expect(res.status).toBe(429)
    expect(res.body.error.code).toBe('QUOTA_EXCEEDED')
    const reaction = await app.request('POST', '/send-reaction', {
      ...host,
      body: { to: '15557770001', message_id: '3EB0AB', emoji: '👍' },
    })
    expect(reaction.status).toBe(200)
  })

  it('direct sends spend the daily quota that queued sends share, even when sent at once', async () => {
    const limited = await sandboxInstance(app, owner.token, { phone: '15552220003' })
    await app.request('PATCH', `/api/v1/instances/${limited.uuid}`, {
      token: owner.token,
      body: { daily_limit: 3 },
    })
    const host = { token: owner.token, headers: { host: limited.host } }
    const before = network.reachedTotal
    // Four at once for three left: the quota is taken atomically, never overshot.
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        app.request('POST', '/send-message', { ...host, body: { to: '15557770001', message: `n${n}` } }),
      ),
    )
    expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 200, 429])
    expect(network.reachedTotal - before).toBe(3)
    const stats = await app.request('GET', `/api/v1/instances/${limited.uuid}/stats`, { token: owner.token })
    expect(stats.body.data).toMatchObject({ messages_sent_today: 3, remaining_quota: 0 })
    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: limited.uuid, recipient: '15557770001', message: 'no room left' },
    })
    expect(queued.status).toBe(429)
    expect(queued.body.error.code).toBe('QUOTA_EXCEEDED')
  })

  it('an instance that is not connected answers 409 INSTANCE_NOT_CONNECTED', async () => {
    const waiting = await sandboxInstance(app, owner.token, { connect: false })
    const host = { token: owner.token, headers: { host: waiting.host } }
    for (const [path, body] of [
      ['/send-message', { to: '15557770001', message: 'x' }],
      ['/send-reaction', { to: '15557770001', message_id: '3EB0AA', emoji: '👍' }],
      ['/delete-message', { to: '15557770001', message_id: '3EB0AA' }],
    ] as const) {
      const res = await app.request('POST', path, { ...host, body })
      expect(res.status, path).toBe(409)
      expect(res.body.error.code).toBe('INSTANCE_NOT_CONNECTED')
    }
    // Disconnected on purpose: no engine at all.
    await app.request('POST', `/api/v1/instances/${waiting.uuid}/disconnect`, { token: owner.token })
    const res = await app.request('POST', '/send-message', {
      ...host,
      body: { to: '15557770001', message: 'x' },
    })
    expect(res.status).toBe(409)
  })

  it('POST /send-reaction with message_id/remote_jid and with messageId/to; an empty emoji removes it', async () => {
    const target = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '15557770001', message: 'react to me' },
    })
    const id = target.body.message_id

    const like = await app.request('POST', '/send-reaction', {
      ...onHost(),
      body: { message_id: id, remote_jid: '15557770001@s.whatsapp.net', emoji: '👍', from_me: true },
    })
    expect(like.status).toBe(200)
    expect(like.body).toMatchObject({
      success: true,
      message: 'Reaction sent successfully',
      message_id: id,
      messageId: id,
      emoji: '👍',
    })
    expect(reached(like.body.reaction_id)).toEqual([
      expect.objectContaining({
        type: 'reaction',
        targetId: id,
        emoji: '👍',
        to: '15557770001@s.whatsapp.net',
      }),
    ])

    const removed = await app.request('POST', '/send-reaction', {
      token: sk,
      body: { messageId: id, to: '15557770001', emoji: '' },
    })
    expect(removed.status).toBe(200)
    expect(removed.body.message).toBe('Reaction removed successfully')
    expect(reached(removed.body.reaction_id)[0]).toMatchObject({ type: 'reaction', targetId: id, emoji: '' })
    await eventually(() => {
      expect(peer.seen.reaction.filter((r) => r.messageId === id).map((r) => r.emoji)).toEqual(['👍', ''])
    })
  })

  it('POST /send-reaction refuses a missing message id, chat or emoji', async () => {
    for (const [body, field] of [
      [{ remote_jid: '15557770001', emoji: '👍' }, 'message_id'],
      [{ message_id: '3EB0AA', emoji: '👍' }, 'remote_jid'],
      [{ message_id: '3EB0AA', remote_jid: 'nobody', emoji: '👍' }, 'remote_jid'],
      [{ message_id: '3EB0AA', to: '15557770001' }, 'emoji'],
    ] as const) {
      const res = await app.request('POST', '/send-reaction', { token: sk, body })
      expect(res.status).toBe(422)
      expect(Object.keys(res.body.error.details)).toContain(field)
    }
  })

  it('POST /delete-message revokes a sent message for everyone', async () => {
    const sent = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '15557770001', message: 'oops' },
    })
    const id = sent.body.message_id
    const res = await app.request('POST', '/delete-message', {
      ...onHost(),
      body: { message_id: id, remote_jid: '15557770001@s.whatsapp.net' },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message_id: id, messageId: id })
    expect(new Date(res.body.timestamp).toISOString()).toBe(res.body.timestamp)
    const revokes = network.reached({ instanceId: me.uuid }).filter((r) => r.type === 'revoke')
    expect(revokes.at(-1)).toMatchObject({ targetId: id, to: '15557770001@s.whatsapp.net' })
    await eventually(() => expect(peer.seen.revoke.map((r) => r.messageId)).toContain(id))

    const aliases = await app.request('POST', '/delete-message', {
      token: sk,
      body: { messageId: id, to: '15557770001' },
    })
    expect(aliases.status).toBe(200)
    const missing = await app.request('POST', '/delete-message', { token: sk, body: { to: '15557770001' } })
    expect(missing.status).toBe(422)
    expect(missing.body.error.details).toHaveProperty('message_id')
  })

  it('sends to a group the instance belongs to, by its JID', async () => {
    const created = await app.request('POST', '/group/create', {
      token: sk,
      body: { subject: 'Team', participants: ['15557770001'] },
    })
    expect(created.status).toBe(201)
    const jid = created.body.group.jid
    const res = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: jid, message: 'hello team' },
    })
    expect(res.status).toBe(200)
    expect(reached(res.body.message_id)[0]?.to).toBe(jid)
    const arrived = await peer.received(res.body.message_id)
    expect(arrived).toMatchObject({ chatJid: jid, isGroup: true, text: 'hello team' })

    const unknown = await app.request('POST', '/send-message', {
      token: sk,
      body: { to: '120363999999999999@g.us', message: 'x' },
    })
    expect(unknown.status).toBe(404)
  })
})
