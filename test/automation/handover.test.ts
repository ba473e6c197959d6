import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { connectedSandbox, inbound, outgoingTo } from './support.js'

describe('the human handover', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }
  let sk: string

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register({ name: 'Carla Dias' })
    instance = await connectedSandbox(app, owner.token, '15550003001')
    sk = (
      await app.request('POST', `/api/v1/instances/${instance.uuid}/tokens`, {
        token: owner.token,
        body: { name: 'CRM bot' },
      })
    ).body.data.token
  })
  afterAll(() => app.close())

  const conversationOf = async (phone: string) =>
    app.database.db
      .selectFrom('conversations')
      .select(['id', 'uuid'])
      .where('chat_jid', '=', `${phone}@s.whatsapp.net`)
      .executeTakeFirstOrThrow()

  it('says NO_ACTIVE_AUTOMATION while the instance has no automation', async () => {
    await inbound(app, owner.token, instance, '15553330000', 'oi')
    const conversation = await eventually(() => conversationOf('15553330000'))
    const state = await app.request('GET', `/api/v1/conversations/${conversation.uuid}/automation`, {
      token: owner.token,
    })
    expect(state.body.data).toMatchObject({ automation_status: 'none', can_send_manual_message: true })
    const pause = await app.request('POST', `/api/v1/conversations/${conversation.uuid}/automation/pause`, {
      token: owner.token,
    })
    expect(pause.status).toBe(400)
    expect(pause.body.error.code).toBe('NO_ACTIVE_AUTOMATION')
  })

  it('automation answers → a human pauses → manual sends go through → archive → resume → automation answers again', async () => {
    await app.request('POST', '/api/v1/automation/flows', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        name: 'Hi',
        trigger: { type: 'any' },
        steps: [{ type: 'send_text', text: 'Auto reply' }],
      },
    })
    const phone = '15553330001'
    await inbound(app, owner.token, instance, phone, 'hello')
    await eventually(async () =>
      expect((await outgoingTo(app, instance.id, phone)).map((m) => m.body)).toEqual(['Auto reply']),
    )
    const conversation = await conversationOf(phone)

    // Every manual send path is refused while automation is active.
    const refused = [
      await app.request('POST', '/api/v1/messages/send', {
        token: owner.token,
        body: { instance_id: instance.uuid, recipient: phone, message: 'manual' },
      }),
      await app.request('POST', '/send-message', { token: sk, body: { number: phone, message: 'manual' } }),
      await app.request('POST', '/api/v1/messages/send-media', {
        token: owner.token,
        body: {
          instance_id: instance.uuid,
          recipient: phone,
          media_url: 'https://example.com/a.png',
          media_type: 'image',
        },
      }),
      await app.request('POST', '/api/v1/chat/send-media', {
        token: owner.token,
        body: {
          instance_id: String(instance.id),
          recipient: phone,
          media_url: 'https://example.com/a.png',
          media_type: 'image',
        },
      }),
      await app.request('POST', '/send-media', {
        token: sk,
        body: { number: phone, media_url: 'https://example.com/a.png', media_type: 'image' },
      }),
      await app.request('POST', '/api/v1/chat/send', {
        token: owner.token,
        body: { instance_id: String(instance.id), recipient: phone, message: 'manual' },
      }),
    ]
    for (const res of refused) {
      expect(res.status, res.text).toBe(409)
      expect(res.body.error.code).toBe('AUTOMATION_ACTIVE')
      expect(res.body.error.conversation_id).toBe(conversation.id)
    }
    // A first message to a number with no conversation is allowed.
    const first = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: '15553339999', message: 'first contact' },
    })
    expect(first.status).toBe(201)

    const paused = await app.request(
      'POST',
      `/api/v1/chat/conversations/${conversation.uuid}/pause-automation`,
      {
        token: owner.token,
        body: { reason: 'VIP client' },
      },
    )
    expect(paused.status).toBe(200)
    expect(paused.body.message).toBe('Automation paused successfully.')
    expect(paused.body.data).toMatchObject({
      conversation_id: conversation.uuid,
      automation_paused: true,
      automation_status: 'paused',
      paused_by: 'Carla Dias',
      reason: 'VIP client',
    })
    const again = await app.request('POST', `/api/v1/conversations/${conversation.uuid}/automation/pause`, {
      token: owner.token,
    })
    expect(again.body.error.code).toBe('AUTOMATION_ALREADY_PAUSED')

    const manual = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: phone, message: 'A human here' },
    })
    expect(manual.status).toBe(201)
    await inbound(app, owner.token, instance, phone, 'thanks')
    await new Promise((r) => setTimeout(r, 400))
    await eventually(async () =>
      expect((await outgoingTo(app, instance.id, phone)).map((m) => m.body)).toEqual([
        'Auto reply',
        'A human here',
      ]),
    )

    const notArchived = await app.request(
      'POST',
      `/api/v1/chat/conversations/${conversation.uuid}/resume-automation`,
      {
        token: owner.token,
      },
    )
    expect(notArchived.status).toBe(400)
    expect(notArchived.body.error.code).toBe('ARCHIVE_REQUIRED')
    expect(
      (
        await app.request('POST', `/api/v1/conversations/${conversation.uuid}/archive`, {
          token: owner.token,
        })
      ).status,
    ).toBe(200)
    const resumed = await app.request(
      'POST',
      `/api/v1/conversations/${conversation.uuid}/automation/resume`,
      { token: owner.token },
    )
    expect(resumed.status).toBe(200)
    expect(resumed.body.data).toMatchObject({ automation_status: 'active', automation_paused: false })
    const row = await app.database.db
      .selectFrom('conversations')
      .select('is_archived')
      .where('id', '=', conversation.id)
      .executeTakeFirstOrThrow()
    expect(Boolean(row.is_archived)).toBe(false)

    await inbound(app, owner.token, instance, phone, 'are you there?')
    await eventually(async () =>
      expect((await outgoingTo(app, instance.id, phone)).at(-1)?.body).toBe('Auto reply'),
    )
  })

  it('pauses and resumes in bulk with counts, naming the token when an sk_ token pauses', async () => {
    const phones = ['15553330011', '15553330012', '15553330013']
    for (const phone of phones) await inbound(app, owner.token, instance, phone, 'hi')
    const conversations = await eventually(async () => {
      const rows = await Promise.all(phones.map(conversationOf))
      return rows
    })
    const ids = [
      ...conversations.map((c) => c.uuid),
      conversations[0]!.id,
      '00000000-0000-7000-8000-000000000000',
    ]
    const bulk = await app.request('POST', '/api/v1/conversations/automation/bulk-pause', {
      token: sk,
      body: { conversation_ids: ids, reason: 'night shift' },
    })
    expect(bulk.status).toBe(200)
    expect(bulk.body.message).toBe('3 conversations paused successfully.')
    expect(bulk.body.data).toMatchObject({ paused: 3, skipped: 1 })
    expect(bulk.body.data.errors.map((e: any) => e.code).sort()).toEqual([
      'AUTOMATION_ALREADY_PAUSED',
      'NOT_FOUND',
    ])
    const state = await app.request('GET', `/api/v1/conversations/${conversations[0]!.uuid}/automation`, {
      token: owner.token,
    })
    expect(state.body.data.paused_by).toBe('CRM bot')

    for (const c of conversations.slice(0, 2))
      await app.request('POST', `/api/v1/conversations/${c.uuid}/archive`, { token: owner.token })
    const resumed = await app.request('POST', '/api/v1/conversations/automation/bulk-resume', {
      token: owner.token,
      body: { conversation_ids: conversations.map((c) => c.uuid) },
    })
    expect(resumed.body.data).toMatchObject({ resumed: 2 })
    expect(resumed.body.data.errors.map((e: any) => e.code)).toEqual(['ARCHIVE_REQUIRED'])
    const tooMany = await app.request('POST', '/api/v1/conversations/automation/bulk-pause', {
      token: owner.token,
      body: { conversation_ids: Array.from({ length: 101 }, (_, i) => i + 1) },
    })
    expect(tooMany.status).toBe(422)
  })
})
