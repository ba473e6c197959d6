import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  connectedInstance,
  conversationOf,
  type Instance,
  inbound,
  instanceToken,
  type Owner,
} from '../conversations/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'

describe(`tags (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let stranger: Owner
  let instance: Instance
  const conversations: Record<string, { id: string; numeric_id: number }> = {}

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    stranger = await app.register()
    instance = await connectedInstance(app, owner.token, '15550006666')
    for (const [name, phone] of [
      ['ann', '15554440001'],
      ['ben', '15554440002'],
      ['cid', '15554440003'],
    ] as const) {
      await inbound(app, owner.token, instance, { from: phone, message: `hi from ${name}` })
      conversations[name] = await conversationOf(app, owner.token, phone)
    }
  })
  afterAll(() => app.close())

  const call = (method: string, path: string, body?: unknown, token = owner.token) =>
    app.request(method, `/api/v1${path}`, { token, ...(body === undefined ? {} : { body }) })
  const create = async (name: string, color = '#f59e0b') => {
    const res = await call('POST', '/tags', { name, color })
    expect(res.status, res.text).toBe(201)
    return res.body.data.tag
  }
  const ids = (res: { body: any }) => res.body.data.map((c: any) => c.id).sort()

  it('are created with the documented shape; names are unique whatever their case', async () => {
    const res = await call('POST', '/tags', { name: 'VIP', color: '#f59e0b' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      success: true,
      message: 'Tag created successfully',
      data: {
        tag: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'VIP',
          color: '#f59e0b',
          conversations_count: 0,
          created_at: expect.stringMatching(/Z$/),
          updated_at: expect.stringMatching(/Z$/),
        },
      },
    })
    const duplicate = await call('POST', '/tags', { name: '  vip ', color: '#000000' })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body.error).toMatchObject({ code: 'CONFLICT', details: { name: [expect.any(String)] } })
    // Another tenant may have its own VIP.
    expect((await call('POST', '/tags', { name: 'VIP', color: '#111111' }, stranger.token)).status).toBe(201)
  })

  it('check name length and color', async () => {
    expect((await call('POST', '/tags', { name: 'x'.repeat(50), color: '#ABCDEF' })).status).toBe(201)
    for (const body of [
      { name: 'x'.repeat(51), color: '#abcdef' },
      { name: '', color: '#abcdef' },
      { name: '   ', color: '#abcdef' },
      { name: 'Red', color: 'red' },
      { name: 'Red', color: '#12345' },
      { name: 'Red', color: '#GGGGGG' },
      { name: 'Red' },
      { color: '#abcdef' },
    ]) {
      const res = await call('POST', '/tags', body)
      expect(res.status, JSON.stringify(body)).toBe(422)
      expect(res.body.error.code).toBe('VALIDATION_ERROR')
    }
  })

  it('are read, renamed and recolored by uuid or id', async () => {
    const tag = await create('Support', '#3b82f6')
    expect((await call('GET', `/tags/${tag.id}`)).body.data.tag).toMatchObject({
      id: tag.id,
      name: 'Support',
    })
    expect((await call('GET', `/tags/${tag.numeric_id}`)).body.data.tag.id).toBe(tag.id)
    expect((await call('GET', '/tags/00000000-0000-7000-8000-000000000000')).status).toBe(404)

    const renamed = await call('PATCH', `/tags/${tag.id}`, { name: 'Customer support', color: '#dc2626' })
    expect(renamed.status).toBe(200)
    expect(renamed.body.data.tag).toMatchObject({ name: 'Customer support', color: '#dc2626' })
    expect((await call('PATCH', `/tags/${tag.id}`, { name: 'CUSTOMER SUPPORT' })).status).toBe(200)
    const clash = await call('PATCH', `/tags/${tag.id}`, { name: 'vip' })
    expect(clash.status).toBe(409)
    expect((await call('PATCH', `/tags/${tag.id}`, { color: 'blue' })).status).toBe(422)

    const list = await call('GET', '/tags')
    expect(list.body.data.tags.map((t: any) => t.name)).toEqual(['CUSTOMER SUPPORT', 'VIP', 'x'.repeat(50)])
  })

  it('are set on a conversation, replacing its set, by uuid or id; filters find them', async () => {
    const tags = (await call('GET', '/tags')).body.data.tags
    const vip = tags.find((t: any) => t.name === 'VIP')
    const support = tags.find((t: any) => t.name === 'CUSTOMER SUPPORT')

    const set = await call('PUT', `/conversations/${conversations.ann!.id}/tags`, {
      tag_ids: [vip.id, support.numeric_id, vip.id],
    })
    expect(set.status).toBe(200)
    expect(set.body).toMatchObject({
      message: 'Conversation tags updated',
      data: {
        tags: [
          { id: support.id, name: 'CUSTOMER SUPPORT', color: support.color },
          { id: vip.id, name: 'VIP', color: '#f59e0b' },
        ],
      },
    })
    await call('PUT', `/conversations/${conversations.ben!.id}/tags`, { tag_ids: [String(vip.numeric_id)] })
    expect((await call('GET', `/tags/${vip.id}`)).body.data.tag.conversations_count).toBe(2)
    expect((await call('GET', `/conversations/${conversations.ann!.id}`)).body.data.tags).toHaveLength(2)

    const ann = conversations.ann!.id
    const ben = conversations.ben!.id
    const cid = conversations.cid!.id
    expect(ids(await call('GET', `/conversations?tag_id=${support.id}`))).toEqual([ann])
    expect(ids(await call('GET', `/conversations?tag_id=${vip.numeric_id}`))).toEqual([ann, ben].sort())
    expect(ids(await call('GET', `/conversations?tag_ids=${support.id},${vip.id}`))).toEqual(
      [ann, ben].sort(),
    )
    expect(ids(await call('GET', `/conversations?tag_ids=${support.id}&tag_ids=${vip.id}`))).toEqual(
      [ann, ben].sort(),
    )
    expect(ids(await call('GET', `/conversations?tag_ids[]=${support.id}`))).toEqual([ann])
    expect(ids(await call('GET', '/conversations?untagged=true'))).toEqual([cid])
    expect(ids(await call('GET', '/conversations?tag_id=00000000-0000-7000-8000-000000000000'))).toEqual([])

    const withTags = await call('GET', '/conversations?include_tags=true')
    expect(withTags.body.data.find((c: any) => c.id === ann).tags.map((t: any) => t.name)).toEqual([
      'CUSTOMER SUPPORT',
      'VIP',
    ])
    expect(withTags.body.data.find((c: any) => c.id === cid).tags).toEqual([])
    const chat = await call('GET', '/conversations?format=chat')
    expect(chat.body.data.every((c: any) => Array.isArray(c.tags))).toBe(true)
    const chatList = await call('GET', `/chat/conversations?tag_id=${support.id}`)
    expect(chatList.body.data.map((c: any) => c.id)).toEqual([ann])
    expect(chatList.body.data[0].tags).toHaveLength(2)

    const cleared = await call('PUT', `/conversations/${ben}/tags`, { tag_ids: [] })
    expect(cleared.body.data.tags).toEqual([])
    expect(ids(await call('GET', '/conversations?untagged=true'))).toEqual([ben, cid].sort())
  })

  it("refuse a tag that is not the tenant's, and keep the set unchanged", async () => {
    const foreign = (await call('GET', '/tags', undefined, stranger.token)).body.data.tags[0]
    const vip = (await call('GET', '/tags')).body.data.tags.find((t: any) => t.name === 'VIP')
    for (const tagIds of [
      [vip.id, foreign.id],
      [vip.id, 'nonsense'],
      [vip.id, '999999'],
    ]) {
      const res = await call('PUT', `/conversations/${conversations.ann!.id}/tags`, { tag_ids: tagIds })
      expect(res.status).toBe(422)
      expect(res.body.error.details).toHaveProperty(['tag_ids.1'])
    }
    expect((await call('GET', `/conversations/${conversations.ann!.id}`)).body.data.tags).toHaveLength(2)
    expect((await call('GET', `/tags/${foreign.id}`)).status).toBe(404)
    expect((await call('PATCH', `/tags/${foreign.id}`, { name: 'Mine' })).status).toBe(404)
    expect((await call('DELETE', `/tags/${foreign.id}`)).status).toBe(404)
    expect((await call('GET', `/tags/${vip.id}`, undefined, stranger.token)).status).toBe(404)
    expect((await call('DELETE', `/tags/${vip.id}`, undefined, stranger.token)).status).toBe(404)
  })

  it('are reached by sk_ tokens of the tenant', async () => {
    const sk = await instanceToken(app, owner.token, instance)
    const list = await call('GET', '/tags', undefined, sk)
    expect(list.status).toBe(200)
    expect(list.body.data.tags.map((t: any) => t.name)).toContain('VIP')
    const made = await call('POST', '/tags', { name: 'From a bot', color: '#00ff00' }, sk)
    expect(made.status).toBe(201)
    expect((await call('GET', '/tags')).body.data.tags.map((t: any) => t.name)).toContain('From a bot')
    const set = await call(
      'PUT',
      `/conversations/${conversations.cid!.id}/tags`,
      { tag_ids: [made.body.data.tag.id] },
      sk,
    )
    expect(set.status).toBe(200)
  })

  it('when deleted, leave every conversation', async () => {
    const vip = (await call('GET', '/tags')).body.data.tags.find((t: any) => t.name === 'VIP')
    const removed = await call('DELETE', `/tags/${vip.id}`)
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ success: true, message: 'Tag deleted successfully' })
    expect((await call('GET', `/tags/${vip.id}`)).status).toBe(404)
    const ann = await call('GET', `/conversations/${conversations.ann!.id}`)
    expect(ann.body.data.tags.map((t: any) => t.name)).toEqual(['CUSTOMER SUPPORT'])
    expect(ids(await call('GET', `/conversations?tag_id=${vip.id}`))).toEqual([])
    expect((await call('DELETE', `/tags/${vip.id}`)).status).toBe(404)
  })
})
