import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { connectedInstance, conversationOf, type Instance, inbound, type Owner } from './support.js'

describe(`conversations (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let instance: Instance

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    instance = await connectedInstance(app, owner.token, '15550001111')
  })
  afterAll(() => app.close())

  const get = (path: string) => app.request('GET', `/api/v1${path}`, { token: owner.token })

  it('are made by incoming messages, with the documented fields, newest activity first', async () => {
    await inbound(app, owner.token, instance, {
      from: '+1 555 100 0001',
      message: 'First!',
      push_name: 'João Silva',
    })
    await inbound(app, owner.token, instance, { from: '15551000002', message: 'Hello', push_name: 'Maria' })
    await inbound(app, owner.token, instance, {
      from: '15551000002',
      message: 'Anyone there?',
      push_name: 'Maria',
    })

    const res = await get('/conversations')
    expect(res.status).toBe(200)
    expect(res.body.meta.pagination).toMatchObject({ total: 2, per_page: 20, current_page: 1, last_page: 1 })
    const [maria, joao] = res.body.data
    expect(maria).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      numeric_id: expect.any(Number),
      contact_number: '15551000002',
      contact_name: 'Maria',
      display_name: 'Maria',
      is_group: false,
      last_message: 'Anyone there?',
      last_message_at: expect.stringMatching(/Z$/),
      unread_count: 2,
      is_archived: false,
      automation_status: 'none',
      automation_paused: false,
      instance_id: instance.id,
      instance: { uuid: instance.uuid, phone_number: '15550001111', status: 'connected' },
    })
    expect(maria.uuid).toBe(maria.id)
    expect(maria).not.toHaveProperty('tags')
    expect(joao).toMatchObject({ contact_number: '15551000001', contact_name: 'João Silva', unread_count: 1 })

    // By uuid and by integer id alike, with its tags.
    const byUuid = await get(`/conversations/${maria.id}`)
    const byId = await get(`/conversations/${maria.numeric_id}`)
    expect(byUuid.body.data).toMatchObject({ id: maria.id, tags: [] })
    expect(byId.body.data.id).toBe(maria.id)
  })

  it('filter by unread, search (name without accents, part of a number in any spelling) and groups', async () => {
    const joao = await conversationOf(app, owner.token, '15551000001')
    await app.request('POST', `/api/v1/conversations/${joao.id}/mark-read`, { token: owner.token })
    const unread = await get('/conversations?unread=true')
    expect(unread.body.data.map((c: any) => c.contact_number)).toEqual(['15551000002'])

    expect((await get('/conversations?search=joao')).body.data.map((c: any) => c.contact_number)).toEqual([
      '15551000001',
    ])
    expect((await get('/conversations?search=SILVA')).body.data).toHaveLength(1)
    // Shorter than a trigram still works.
    expect((await get('/conversations?search=ma')).body.data.map((c: any) => c.contact_number)).toEqual([
      '15551000002',
    ])
    expect((await get('/conversations?search=%2B1%20555%20100-0002')).body.data[0].contact_number).toBe(
      '15551000002',
    )
    expect((await get('/conversations?search=1000')).body.data).toHaveLength(2)
    expect((await get('/conversations?search=nobody')).body.data).toEqual([])
    expect((await get('/conversations?search=50%25')).body.data).toEqual([])

    await inbound(app, owner.token, instance, {
      from: '15551000003',
      message: 'Hi group',
      push_name: 'Ana',
      group_jid: '120363000000000001@g.us',
    })
    const groups = await get('/conversations?is_group=true')
    expect(groups.body.data).toHaveLength(1)
    expect(groups.body.data[0]).toMatchObject({ is_group: true, chat_jid: '120363000000000001@g.us' })
    expect((await get('/conversations?is_group=false')).body.data).toHaveLength(2)
  })

  it('paginate with per_page up to 100', async () => {
    const page = await get('/conversations?per_page=2&page=2')
    expect(page.body.meta.pagination).toMatchObject({
      total: 3,
      per_page: 2,
      current_page: 2,
      last_page: 2,
      from: 3,
      to: 3,
    })
    expect(page.body.data).toHaveLength(1)
    const tooMany = await get('/conversations?per_page=101')
    expect(tooMany.status).toBe(422)
    expect(tooMany.body.error.code).toBe('VALIDATION_ERROR')
    expect(tooMany.body.error.details).toHaveProperty('per_page')
    expect((await get(`/conversations?instance_id=${instance.uuid}`)).body.data).toHaveLength(3)
    expect((await get('/conversations?instance_id=999999')).status).toBe(404)
  })

  it('archive, and unarchive through all three spellings; a new message unarchives too', async () => {
    const maria = await conversationOf(app, owner.token, '15551000002')
    const spellings: [string, string][] = [
      ['POST', `/api/v1/conversations/${maria.id}/unarchive`],
      ['DELETE', `/api/v1/conversations/${maria.id}/archive`],
      ['DELETE', `/api/v1/chat/conversations/${maria.id}/archive`],
    ]
    for (const [method, path] of spellings) {
      const archived = await app.request('POST', `/api/v1/conversations/${maria.id}/archive`, {
        token: owner.token,
      })
      expect(archived.status).toBe(200)
      expect(archived.body).toMatchObject({
        message: 'Conversation archived.',
        data: { archived_id: maria.id, archived_at: expect.stringMatching(/Z$/) },
      })
      expect((await get('/conversations')).body.data.map((c: any) => c.id)).not.toContain(maria.id)
      const inArchive = await conversationOf(app, owner.token, '15551000002', true)
      expect(inArchive).toMatchObject({ is_archived: true, archived_at: expect.any(String) })

      const restored = await app.request(method, path, { token: owner.token })
      expect(restored.status, `${method} ${path}`).toBe(200)
      expect(restored.body).toMatchObject({
        message: 'Conversation restored.',
        data: { conversation_id: maria.id, restored: true },
      })
      expect((await get('/conversations')).body.data.map((c: any) => c.id)).toContain(maria.id)
    }
    // Unarchiving what is not archived changes nothing.
    const again = await app.request('POST', `/api/v1/conversations/${maria.id}/unarchive`, {
      token: owner.token,
    })
    expect(again.body.data.restored).toBe(false)

    await app.request('POST', `/api/v1/chat/conversations/${maria.id}/archive`, { token: owner.token })
    expect((await get('/conversations/archived')).body.data.map((c: any) => c.id)).toEqual([maria.id])
    await inbound(app, owner.token, instance, {
      from: '15551000002',
      message: 'Back again',
      push_name: 'Maria',
    })
    const back = await get(`/conversations/${maria.id}`)
    expect(back.body.data).toMatchObject({
      is_archived: false,
      archived_at: null,
      last_message: 'Back again',
    })
    expect((await get('/conversations/archived')).body.data).toEqual([])
  })

  it("show a paused automation from the conversation's row", async () => {
    const maria = await conversationOf(app, owner.token, '15551000002')
    await app.database.db
      .updateTable('conversations')
      .set({
        automation_paused: true,
        paused_at: '2026-01-15T10:00:00.000Z',
        paused_by: 'Test User',
        pause_reason: 'VIP',
      })
      .where('uuid', '=', maria.id)
      .execute()
    expect((await get(`/conversations/${maria.id}`)).body.data).toMatchObject({
      automation_status: 'paused',
      automation_paused: true,
      paused_at: '2026-01-15T10:00:00.000Z',
      paused_by: 'Test User',
      pause_reason: 'VIP',
    })
  })

  it('delete a conversation with its messages; the contact stays', async () => {
    const joao = await conversationOf(app, owner.token, '15551000001')
    const before = await get(`/messages?conversation_id=${joao.numeric_id}`)
    expect(before.body.data.length).toBeGreaterThan(0)
    const removed = await app.request('DELETE', `/api/v1/conversations/${joao.id}`, { token: owner.token })
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ success: true, message: 'Conversation deleted.' })
    expect((await get(`/conversations/${joao.id}`)).status).toBe(404)
    expect((await get(`/conversations/${joao.id}/messages`)).status).toBe(404)
    expect((await get(`/messages?conversation_id=${joao.numeric_id}`)).body.data).toEqual([])
    const contacts = await get('/contacts?search=joao')
    expect(contacts.body.data.map((c: any) => c.phone_number)).toEqual(['15551000001'])
    expect(
      (await app.request('DELETE', `/api/v1/conversations/${joao.id}`, { token: owner.token })).status,
    ).toBe(404)
  })

  it('are described in the OpenAPI document', async () => {
    const doc = await app.request('GET', '/api/v1/openapi.json')
    expect(doc.status).toBe(200)
    const paths = Object.keys(doc.body.paths)
    for (const path of [
      '/api/v1/conversations',
      '/api/v1/conversations/archived',
      '/api/v1/conversations/{uuid}/messages',
      '/api/v1/conversations/{uuid}/tags',
      '/api/v1/chat/conversations/{uuid}/messages',
      '/api/v1/chat/send',
      '/api/v1/chat/messages/{uuid}/reaction',
      '/api/v1/tags/{uuid}',
      '/api/v1/contacts/export',
      '/api/v1/contacts/{uuid}/messages',
    ]) {
      expect(paths, path).toContain(path)
    }
    expect(Object.keys(doc.body.paths['/api/v1/conversations/{uuid}/archive'])).toEqual(
      expect.arrayContaining(['post', 'delete']),
    )
  })

  it('answer 404 for an unknown or malformed reference', async () => {
    expect((await get('/conversations/00000000-0000-7000-8000-000000000000')).status).toBe(404)
    expect((await get('/conversations/not-an-id')).status).toBe(404)
    expect((await get('/conversations/999999/messages')).status).toBe(404)
  })
})
