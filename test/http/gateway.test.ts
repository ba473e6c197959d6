import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInstanceTokens } from '../../src/instances/tokens.js'
import { systemClock } from '../../src/lib/clock.js'
import { newUuid } from '../../src/lib/ids.js'
import { startTestApp, type TestApp } from '../helpers/app.js'

async function insertInstance(app: TestApp, tenantId: number, name: string): Promise<number> {
  const at = new Date().toISOString()
  const row = await app.database.db
    .insertInto('instances')
    .values({ uuid: newUuid(), tenant_id: tenantId, name, engine: 'sandbox', created_at: at, updated_at: at })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

describe('instance gateway and token scoping', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let stranger: Awaited<ReturnType<TestApp['register']>>
  let instanceA: number
  let instanceB: number
  let foreignInstance: number
  let skA: string

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    stranger = await app.register()
    instanceA = await insertInstance(app, owner.user.tenant.id, 'A')
    instanceB = await insertInstance(app, owner.user.tenant.id, 'B')
    foreignInstance = await insertInstance(app, stranger.user.tenant.id, 'foreign')
    const tokens = createInstanceTokens({ db: app.database.db, clock: systemClock })
    skA = (await tokens.create(owner.user.tenant.id, instanceA, 'bot')).token
  })
  afterAll(() => app.close())

  const host = (id: number) => ({ host: `instance-${id}.localhost` })

  it('serves platform routes on the instance host with and without /api/v1', async () => {
    for (const path of ['/api/v1/auth/me', '/auth/me']) {
      const res = await app.request('GET', path, { token: owner.token, headers: host(instanceA) })
      expect(res.status, path).toBe(200)
      expect(res.body.data.user.email).toBe(owner.email)
    }
  })

  it('answers /health on the instance host too', async () => {
    const res = await app.request('GET', '/health', { headers: host(instanceA) })
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('ok')
  })

  it("answers 404 on another tenant's instance host", async () => {
    const res = await app.request('GET', '/auth/me', { token: owner.token, headers: host(foreignInstance) })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NOT_FOUND')
  })

  it("answers 404 when an sk_ token is used on another instance's host", async () => {
    const res = await app.request('GET', '/health', { headers: host(instanceB) })
    expect(res.status).toBe(200)
    const other = await app.request('POST', '/auth/logout', { token: skA, headers: host(instanceB) })
    expect(other.status).toBe(404)
  })

  it('refuses an sk_ token on user-only routes with 403 FORBIDDEN', async () => {
    const res = await app.request('GET', '/api/v1/auth/me', { token: skA })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('FORBIDDEN')
    const onHost = await app.request('GET', '/auth/me', { token: skA, headers: host(instanceA) })
    expect(onHost.status).toBe(403)
  })

  it('answers 401 for an unknown sk_ token and for no token', async () => {
    expect((await app.request('GET', '/api/v1/auth/me', { token: 'sk_nope' })).status).toBe(401)
    const none = await app.request('GET', '/api/v1/auth/me')
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('UNAUTHENTICATED')
  })

  it('stores instance tokens hashed, never in clear', async () => {
    const rows = await app.database.db
      .selectFrom('instance_tokens')
      .select(['token_hash', 'token_hint'])
      .execute()
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(row.token_hash).not.toContain(skA.slice(3))
    }
  })

  it('leaves hosts that are not instance hosts alone', async () => {
    const res = await app.request('GET', '/auth/me', { token: owner.token, headers: { host: 'example.com' } })
    expect(res.status).toBe(404)
    const prefixed = await app.request('GET', '/api/v1/auth/me', {
      token: owner.token,
      headers: { host: 'example.com' },
    })
    expect(prefixed.status).toBe(200)
  })
})
