import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  connectedInstance,
  conversationOf,
  type Instance,
  inbound,
  type Owner,
} from '../conversations/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'

const MARIA = '5521988887777'
const JOHN = '5521999999999'
const CARLOS = '5521966665555'

describe(`Chat API (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let instance: Instance
  let conversation: { id: string }

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    instance = await connectedInstance(app, owner.token, '5511900001111')
    for (const [phone, name] of [
      [JOHN, 'John Doe'],
      [CARLOS, 'Carlos'],
    ]) {
      const res = await call('POST', '/contacts', { instance_id: instance.uuid, phone_number: phone, name })
      expect(res.status).toBe(201)
    }
    await inbound(app, owner.token, instance, {
      from: MARIA,
      push_name: 'Maria',
      message: `Ola @${JOHN}!`,
      mentions: [JOHN],
    })
    conversation = await conversationOf(app, owner.token, MARIA)
  })
  afterAll(() => app.close())

  function call(method: string, path: string, body?: unknown) {
    return app.request(method, `/api/v1${path}`, {
      token: owner.token,
      ...(body === undefined ? {} : { body }),
    })
  }
  const latest = async () =>
    (await call('GET', `/chat/conversations/${conversation.id}/messages?limit=1`)).body.data.messages[0]

  it('lists conversations with tags, picture, unread count and instance', async () => {
    const res = await call('GET', '/chat/conversations?unread=true')
    expect(res.status).toBe(200)
    expect(res.body.meta.pagination.total).toBe(1)
    expect(res.body.data[0]).toMatchObject({
      id: conversation.id,
      contact_number: MARIA,
      display_name: 'Maria',
      is_group: false,
      profile_picture_url: null,
      last_message: `Ola @${JOHN}!`,
      last_message_at: expect.stringMatching(/Z$/),
      unread_count: 1,
      tags: [],
      instance: { uuid: instance.uuid, phone_number: '5511900001111', status: 'connected' },
    })
    const one = await call('GET', `/chat/conversations/${conversation.id}`)
    expect(one.body.data).toMatchObject({ id: conversation.id, tags: [] })
  })

  it('formats messages: mentions resolved to names, sender, alignment', async () => {
    const res = await call('GET', `/chat/conversations/${conversation.id}/messages?limit=50`)
    expect(res.status).toBe(200)
    const message = res.body.data.messages[0]
    expect(message).toMatchObject({
      id: expect.any(Number),
      unique_id: expect.any(String),
      direction: 'incoming',
      is_from_me: false,
      message_body: `Ola @${JOHN}!`,
      formatted_body: `Ola <span class="mention" data-phone="${JOHN}">@John Doe</span>!`,
      mentioned_jids: [`${JOHN}@s.whatsapp.net`],
      sender_name: 'Maria',
      status: expect.any(String),
      grouped_reactions: [],
      created_at: expect.stringMatching(/Z$/),
    })
    expect(res.body.data).toMatchObject({ has_more: false, oldest_id: message.id, newest_id: message.id })
  })

  it('escapes whatever a sender types, and handles mention and marker edge cases', async () => {
    const cases: [string, string, string[]?][] = [
      ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
      ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
      ['"><svg onload=alert(1)>', '&quot;&gt;&lt;svg onload=alert(1)&gt;'],
      [
        '*bold* _it_ ~st~ ```<b>code</b>```',
        '<strong>bold</strong> <em>it</em> <del>st</del> <code>&lt;b&gt;code&lt;/b&gt;</code>',
      ],
      ['*unmatched and snake_case_word', '*unmatched and snake_case_word'],
      ['*outer _inner_*', '<strong>outer <em>inner</em></strong>'],
      [
        'unknown @5521900000001',
        'unknown <span class="mention" data-phone="5521900000001">@5521900000001</span>',
        ['5521900000001'],
      ],
      [
        `at the end @${CARLOS}`,
        `at the end <span class="mention" data-phone="${CARLOS}">@Carlos</span>`,
        [CARLOS],
      ],
    ]
    for (const [text, html, mentions] of cases) {
      await inbound(app, owner.token, instance, {
        from: MARIA,
        push_name: 'Maria',
        message: text,
        ...(mentions ? { mentions } : {}),
      })
      const message = await latest()
      expect(message.message_body).toBe(text)
      expect(message.formatted_body, text).toBe(html)
    }
    // The standard endpoint in the chat format answers the same.
    const viaFormat = await call('GET', `/conversations/${conversation.id}/messages?limit=1&format=chat`)
    expect(viaFormat.body.data.messages[0].formatted_body).toBe((await latest()).formatted_body)
  })

  it('groups reactions by emoji with counts, reactors, names and mine', async () => {
    const target = await latest()
    for (const [from, emoji] of [
      [MARIA, '👍'],
      [CARLOS, '👍'],
      [JOHN, '❤️'],
    ] as const) {
      const res = await call('POST', `/sandbox/instances/${instance.uuid}/reaction`, {
        from,
        message_id: target.whatsapp_message_id,
        emoji,
      })
      expect(res.status).toBe(200)
    }
    await eventually(async () => expect((await latest()).grouped_reactions).toHaveLength(2))
    const mine = await call('POST', `/chat/messages/${target.uuid}/reaction`, { emoji: '👍' })
    expect(mine.status).toBe(200)
    expect(mine.body.data.grouped_reactions).toEqual([
      {
        emoji: '👍',
        count: 3,
        has_my_reaction: true,
        reactors: [MARIA, CARLOS, '5511900001111'],
        reactor_names: ['Maria', 'Carlos', 'Sandbox 5511900001111'],
      },
      { emoji: '❤️', count: 1, has_my_reaction: false, reactors: [JOHN], reactor_names: ['John Doe'] },
    ])
    const removed = await call('DELETE', `/chat/messages/${target.uuid}/reaction`)
    expect(removed.status).toBe(200)
    expect(removed.body.data.grouped_reactions[0]).toMatchObject({
      emoji: '👍',
      count: 2,
      has_my_reaction: false,
    })
  })

  it('sends, edits and deletes, answering in the chat format', async () => {
    const sent = await call('POST', '/chat/send', {
      instance_id: instance.uuid,
      recipient: `+${MARIA}`,
      // A number typed as @digits is a mention on its own (the `mentions` list is optional).
      message: `Hi *Maria*, ask @${JOHN}`,
    })
    expect(sent.status).toBe(201)
    expect(sent.body.data).toMatchObject({
      direction: 'outgoing',
      is_from_me: true,
      status: 'pending',
      formatted_body: `Hi <strong>Maria</strong>, ask <span class="mention" data-phone="${JOHN}">@John Doe</span>`,
      grouped_reactions: [],
      sender_name: 'Sandbox 5511900001111',
      remaining_quota: expect.any(Number),
      delay_seconds: expect.any(Number),
    })
    const uuid = sent.body.data.uuid
    await eventually(async () => {
      const status = await call('GET', `/messages/${uuid}/status`)
      expect(['sent', 'delivered'], status.text).toContain(status.body.data.status)
    })
    const edited = await call('PATCH', `/chat/messages/${uuid}`, { message: 'Hi _Maria_' })
    expect(edited.status).toBe(200)
    expect(edited.body.data).toMatchObject({
      message_body: 'Hi _Maria_',
      formatted_body: 'Hi <em>Maria</em>',
      is_edited: true,
    })
    const deleted = await call('DELETE', `/chat/messages/${uuid}`)
    expect(deleted.status).toBe(200)
    expect(deleted.body.data).toMatchObject({ uuid, is_deleted: true })
    const history = await call('GET', `/chat/conversations/${conversation.id}/messages`)
    const incoming = history.body.data.messages.find((m: any) => m.direction === 'incoming')
    expect((await call('DELETE', `/chat/messages/${incoming.uuid}`)).status).toBe(403)
    expect(
      (await call('POST', '/chat/send', { instance_id: instance.uuid, message: 'no recipient' })).status,
    ).toBe(422)
  })
})
