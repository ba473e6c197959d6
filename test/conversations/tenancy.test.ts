import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import {
  connectedInstance,
  conversationOf,
  type Instance,
  inbound,
  instanceToken,
  type Owner,
} from './support.js'

describe(`conversation tenancy (${TEST_DB})`, () => {
  let app: TestApp
  let tenantA: Owner
  let tenantB: Owner
  let first: Instance
  let second: Instance
  let mine: { id: string; numeric_id: number }
  let other: { id: string }
  let skFirst: string

  beforeAll(async () => {
    app = await startTestApp()
    tenantA = await app.register()
    tenantB = await app.register()
    first = await connectedInstance(app, tenantA.token, '15550004444')
    second = await connectedInstance(app, tenantA.token, '15550005555')
    await inbound(app, tenantA.token, first, {
      from: '15553330001',
      message: 'to the first',
      push_name: 'Lee',
    })
    await inbound(app, tenantA.token, second, {
      from: '15553330002',
      message: 'to the second',
      push_name: 'Kim',
    })
    mine = await conversationOf(app, tenantA.token, '15553330001')
    other = await conversationOf(app, tenantA.token, '15553330002')
    skFirst = await instanceToken(app, tenantA.token, first)
  })
  afterAll(() => app.close())

  const endpoints = (id: string): [string, string][] => [
    ['GET', `/api/v1/conversations/${id}`],
    ['GET', `/api/v1/conversations/${id}/messages`],
    ['GET', `/api/v1/chat/conversations/${id}`],
    ['GET', `/api/v1/chat/conversations/${id}/messages`],
    ['POST', `/api/v1/conversations/${id}/archive`],
    ['POST', `/api/v1/chat/conversations/${id}/archive`],
    ['POST', `/api/v1/conversations/${id}/unarchive`],
    ['DELETE', `/api/v1/conversations/${id}/archive`],
    ['DELETE', `/api/v1/chat/conversations/${id}/archive`],
    ['POST', `/api/v1/conversations/${id}/mark-read`],
    ['POST', `/api/v1/chat/conversations/${id}/mark-read`],
    ['PUT', `/api/v1/conversations/${id}/tags`],
    ['DELETE', `/api/v1/conversations/${id}`],
  ]

  it('are 404 to another tenant, by uuid and by id, for every endpoint', async () => {
    for (const ref of [mine.id, String(mine.numeric_id)]) {
      for (const [method, path] of endpoints(ref)) {
        const res = await app.request(method, path, {
          token: tenantB.token,
          ...(path.endsWith('/tags') ? { body: { tag_ids: [] } } : {}),
        })
        expect(res.status, `${method} ${path}`).toBe(404)
        expect(res.body.error.code).toBe('NOT_FOUND')
      }
    }
    const list = await app.request('GET', '/api/v1/conversations', { token: tenantB.token })
    expect(list.body.data).toEqual([])
    const chatList = await app.request('GET', '/api/v1/chat/conversations', { token: tenantB.token })
    expect(chatList.body.data).toEqual([])
    const filtered = await app.request('GET', `/api/v1/conversations?instance_id=${first.uuid}`, {
      token: tenantB.token,
    })
    expect(filtered.status).toBe(404)
    // Still there for its owner.
    expect(
      (await app.request('GET', `/api/v1/conversations/${mine.id}`, { token: tenantA.token })).status,
    ).toBe(200)
  })

  it("an sk_ token sees its own instance's conversations only", async () => {
    const list = await app.request('GET', '/api/v1/conversations', { token: skFirst })
    expect(list.status).toBe(200)
    expect(list.body.data.map((c: any) => c.id)).toEqual([mine.id])
    for (const [method, path] of endpoints(other.id)) {
      const res = await app.request(method, path, {
        token: skFirst,
        ...(path.endsWith('/tags') ? { body: { tag_ids: [] } } : {}),
      })
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    const otherInstance = await app.request('GET', `/api/v1/conversations?instance_id=${second.uuid}`, {
      token: skFirst,
    })
    expect(otherInstance.status).toBe(404)
    const own = await app.request('GET', `/api/v1/conversations/${mine.id}/messages`, { token: skFirst })
    expect(own.status).toBe(200)
    expect(own.body.data.messages.map((m: any) => m.message_body)).toEqual(['to the first'])
  })

  it("on an instance host, a user token sees that instance's conversations, at the root too", async () => {
    const host = `instance-${first.id}.localhost`
    for (const path of ['/conversations', '/api/v1/conversations', '/chat/conversations']) {
      const res = await app.request('GET', path, { token: tenantA.token, headers: { host } })
      expect(res.status, path).toBe(200)
      expect(res.body.data.map((c: any) => c.id)).toEqual([mine.id])
    }
    const res = await app.request('GET', `/conversations/${other.id}`, {
      token: tenantA.token,
      headers: { host },
    })
    expect(res.status).toBe(404)
  })
})
