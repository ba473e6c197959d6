import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'
import { connectedInstance, conversationOf, type Instance, inbound, type Owner } from './support.js'

describe(`mark-read (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let alice: Instance
  let bob: Instance

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    // Two phones on the same simulated network: what one marks read, the other sees as read.
    alice = await connectedInstance(app, owner.token, '15550002222')
    bob = await connectedInstance(app, owner.token, '15550003333')
  })
  afterAll(() => app.close())

  const statusOf = async (uuid: string) =>
    (await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })).body.data.status

  it('resets the unread count and sends read receipts that reach the sender', async () => {
    const sent = []
    for (const text of ['Hi Alice', 'Are you there?']) {
      const res = await app.request('POST', '/api/v1/messages/send', {
        token: owner.token,
        body: { instance_id: bob.uuid, recipient: alice.phone, message: text },
      })
      expect(res.status).toBe(201)
      sent.push(res.body.data.uuid as string)
    }
    for (const uuid of sent) await eventually(async () => expect(await statusOf(uuid)).toBe('delivered'))

    const atAlice = await eventually(async () => {
      const conversation = await conversationOf(app, owner.token, bob.phone)
      expect(conversation.instance_id).toBe(alice.id)
      expect(conversation.unread_count).toBe(2)
      return conversation
    })
    const marked = await app.request('POST', `/api/v1/conversations/${atAlice.id}/mark-read`, {
      token: owner.token,
    })
    expect(marked.status).toBe(200)
    expect(marked.body).toMatchObject({
      success: true,
      message: 'Conversation marked as read.',
      data: { conversation_id: atAlice.id, unread_count: 0, read_receipts_sent: 2 },
    })
    // Bob's phone got Alice's read receipts: his messages are read.
    for (const uuid of sent) await eventually(async () => expect(await statusOf(uuid)).toBe('read'))

    const after = await app.request('GET', `/api/v1/conversations/${atAlice.id}`, { token: owner.token })
    expect(after.body.data.unread_count).toBe(0)
    const history = await app.request('GET', `/api/v1/conversations/${atAlice.id}/messages`, {
      token: owner.token,
    })
    expect(history.body.data.messages.every((m: any) => m.read_at !== null)).toBe(true)

    // Nothing left unread: nothing more is sent.
    const again = await app.request('POST', `/api/v1/chat/conversations/${atAlice.id}/mark-read`, {
      token: owner.token,
    })
    expect(again.body.data).toMatchObject({ unread_count: 0, read_receipts_sent: 0 })
  })

  it('still marks read while the instance is disconnected, without receipts', async () => {
    await inbound(app, owner.token, alice, { from: '15557770000', message: 'Ping', push_name: 'Sam' })
    const conversation = await conversationOf(app, owner.token, '15557770000')
    expect(conversation.unread_count).toBe(1)
    const off = await app.request('POST', `/api/v1/instances/${alice.uuid}/disconnect`, {
      token: owner.token,
    })
    expect(off.status).toBe(200)
    await eventually(async () => {
      const res = await app.request('GET', `/api/v1/instances/${alice.uuid}`, { token: owner.token })
      expect(res.body.data.status).toBe('disconnected')
    })
    const marked = await app.request('POST', `/api/v1/conversations/${conversation.id}/mark-read`, {
      token: owner.token,
    })
    expect(marked.status).toBe(200)
    expect(marked.body.data).toMatchObject({ unread_count: 0, read_receipts_sent: 0 })
  })
})
