import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { type Api, apiFor, expectStatus, instanceToken, newInstance, type Owner } from '../kanban/support.js'

const KEY = 'sk-proj-abcdefghijklmnop1234'

describe('AI provider settings', () => {
  let app: TestApp
  let owner: Owner
  let api: Api
  let sk: Api

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    api = apiFor(app, owner.token)
    sk = apiFor(app, await instanceToken(api, await newInstance(api)))
  })
  afterAll(() => app.close())

  it('answers "not configured" before anything is set', async () => {
    expect(expectStatus(await api('GET', '/settings/ai'), 200)).toEqual({
      configured: false,
      base_url: null,
      model: null,
      api_key: null,
      timeout_seconds: null,
      updated_at: null,
    })
  })

  it('stores the provider with the key encrypted, and shows the key masked only', async () => {
    const saved = await api('PUT', '/settings/ai', {
      base_url: 'https://api.openai.com/v1/',
      api_key: KEY,
      model: 'gpt-4o-mini',
    })
    expect(expectStatus(saved, 200)).toMatchObject({
      configured: true,
      base_url: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      api_key: 'sk-…1234',
      timeout_seconds: 30,
    })
    const read = await api('GET', '/settings/ai')
    expect(read.body.data.api_key).toBe('sk-…1234')
    expect(read.text).not.toContain(KEY)
    const row = await app.database.db
      .selectFrom('tenant_ai_settings')
      .select(['api_key', 'tenant_id'])
      .executeTakeFirstOrThrow()
    expect(row.tenant_id).toBe(owner.user.tenant.id)
    expect(row.api_key).not.toContain(KEY)
    expect(row.api_key).toMatch(/^v1:/)
  })

  it('keeps the stored key when a later PUT leaves it out', async () => {
    const saved = await api('PUT', '/settings/ai', {
      base_url: 'http://localhost:11434/v1',
      model: 'llama3.1',
      timeout_seconds: 5,
    })
    expect(expectStatus(saved, 200)).toMatchObject({
      base_url: 'http://localhost:11434/v1',
      model: 'llama3.1',
      api_key: 'sk-…1234',
      timeout_seconds: 5,
    })
  })

  it('validates the base URL, the model and a first key', async () => {
    for (const base_url of [
      'ftp://example.com/v1',
      'not a url',
      'https://user:pw@example.com/v1',
      'https://x.io/v1?a=1',
    ]) {
      const res = await api('PUT', '/settings/ai', { base_url, api_key: KEY, model: 'm' })
      expect(res.status).toBe(422)
      expect(res.body.error.details.base_url).toBeDefined()
    }
    expect(
      (await api('PUT', '/settings/ai', { base_url: 'https://x.io/v1', api_key: KEY, model: '' })).status,
    ).toBe(422)
    expect((await api('PUT', '/settings/ai', { base_url: 'https://x.io/v1', api_key: KEY })).status).toBe(422)
    const other = await app.register()
    const first = await app.request('PUT', '/api/v1/settings/ai', {
      token: other.token,
      body: { base_url: 'https://x.io/v1', model: 'm' },
    })
    expect(first.status).toBe(422)
    expect(first.body.error.details.api_key).toBeDefined()
  })

  it('lets an sk_ token read the provider (masked) but not change or remove it', async () => {
    const read = await sk('GET', '/settings/ai')
    expect(expectStatus(read, 200).api_key).toBe('sk-…1234')
    expect(
      (await sk('PUT', '/settings/ai', { base_url: 'https://x.io/v1', api_key: KEY, model: 'm' })).status,
    ).toBe(403)
    expect((await sk('DELETE', '/settings/ai')).status).toBe(403)
  })

  it("keeps each tenant's provider to itself", async () => {
    const other = await app.register()
    const res = await app.request('GET', '/api/v1/settings/ai', { token: other.token })
    expect(res.body.data.configured).toBe(false)
    expect((await app.request('DELETE', '/api/v1/settings/ai', { token: other.token })).status).toBe(404)
    expect((await api('GET', '/settings/ai')).body.data.configured).toBe(true)
  })

  it('removes the provider', async () => {
    expect((await api('DELETE', '/settings/ai')).status).toBe(200)
    expect((await api('GET', '/settings/ai')).body.data.configured).toBe(false)
    expect((await api('DELETE', '/settings/ai')).status).toBe(404)
  })

  it('needs a token', async () => {
    expect((await app.request('GET', '/api/v1/settings/ai')).status).toBe(401)
  })
})
