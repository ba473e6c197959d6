import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectedInstance, type Instance, type Owner } from '../conversations/support.js'
import { TEST_DB } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'
import { png } from '../media/files.js'
import { type MediaApp, startMediaApp, upload } from '../media/support.js'

describe(`POST /chat/send-media (${TEST_DB})`, () => {
  let app: MediaApp
  let owner: Owner
  let instance: Instance

  beforeAll(async () => {
    app = await startMediaApp()
    owner = await app.register()
    instance = await connectedInstance(app, owner.token, '15550004321')
  })
  afterAll(() => app.close())

  const send = (body: Record<string, unknown>) =>
    app.request('POST', '/api/v1/chat/send-media', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: '+1 555 222 4321', ...body },
    })

  it('queues an upload and answers it in the chat format', async () => {
    const photo = png(3, 3)
    const uploaded = await upload(app, owner.token, photo, 'photo.png')
    expect(uploaded.status).toBe(201)
    const res = await send({
      media_id: uploaded.body.data.id,
      media_type: 'image',
      caption: 'Look at *this*',
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      message: 'Message added to queue',
      data: {
        type: 'image',
        direction: 'outgoing',
        is_from_me: true,
        caption: 'Look at *this*',
        formatted_body: 'Look at <strong>this</strong>',
        grouped_reactions: [],
        media_mime_type: 'image/png',
        delay_seconds: expect.any(Number),
        remaining_quota: expect.any(Number),
      },
    })
    const uuid = res.body.data.uuid
    await eventually(async () => {
      const status = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(['sent', 'delivered']).toContain(status.body.data.status)
    })
    // The conversation shows it, with the caption as its last message.
    const list = await app.request('GET', '/api/v1/chat/conversations', { token: owner.token })
    expect(list.body.data[0]).toMatchObject({ contact_number: '15552224321', last_message: 'Look at *this*' })
  })

  it('needs a file and a recipient', async () => {
    expect((await send({ caption: 'nothing attached' })).status).toBe(422)
    const noRecipient = await app.request('POST', '/api/v1/chat/send-media', {
      token: owner.token,
      body: { instance_id: instance.uuid, media_url: 'https://example.com/a.png' },
    })
    expect(noRecipient.status).toBe(422)
    expect(noRecipient.body.error.details).toHaveProperty('recipient')
  })
})
