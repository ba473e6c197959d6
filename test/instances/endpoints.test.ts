import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInstance } from '../helpers/builders.js'
import { eventually } from '../helpers/wait.js'
import { type SandboxApp, startSandboxApp } from './sandbox-app.js'

describe('instance endpoints', () => {
  let app: SandboxApp
  let token: string
  const api = (method: string, path: string, body?: unknown, as = token) =>
    app.request(method, `/api/v1${path}`, { token: as, ...(body !== undefined ? { body } : {}) })
  const create = async (body: Record<string, unknown> = {}) => {
    const res = await api('POST', '/instances', { name: 'Shop', ...body })
    expect(res.status).toBe(201)
    return res.body.data
  }

  beforeAll(async () => {
    app = await startSandboxApp({ env: { DEFAULT_ENGINE: 'sandbox' } })
    token = (await app.register()).token
  })
  afterAll(() => app.close())

  it('creates an instance with the documented defaults and the default engine', async () => {
    const res = await api('POST', '/instances', { name: '  Sales  ' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ success: true, message: 'Instance created' })
    const instance = res.body.data
    expect(instance).toMatchObject({
      name: 'Sales',
      engine: 'sandbox',
      connected: false,
      phone_number: null,
      daily_limit: 500,
      send_delay_min: 3,
      send_delay_max: 15,
      settings: {},
      messages_sent_today: 0,
      remaining_quota: 500,
      can_send_messages: false,
      last_error: null,
      gateway_url: `http://instance-${instance.id}.localhost`,
    })
    expect(['pending', 'connecting', 'qr_ready']).toContain(instance.status)
    expect(instance.uuid).toMatch(/^[0-9a-f-]{36}$/)
    expect(instance.created_at).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/)
    // It starts connecting at once: the QR follows.
    await eventually(async () => {
      expect((await api('GET', `/instances/${instance.uuid}`)).body.data.status).toBe('qr_ready')
    })
  })

  it('takes the limits, delays and settings it is given', async () => {
    const instance = await create({
      daily_limit: 50,
      send_delay_min: 5,
      send_delay_max: 9,
      settings: { auto_deliver: false },
    })
    expect(instance).toMatchObject({ daily_limit: 50, send_delay_min: 5, send_delay_max: 9 })
    expect(instance.settings).toEqual({ auto_deliver: false })
    expect((await create({ send_delay_min: 20 })).send_delay_max).toBe(20)
  })

  it('refuses invalid instances with 422', async () => {
    const crossed = await api('POST', '/instances', { name: 'X', send_delay_min: 10, send_delay_max: 5 })
    expect(crossed.status).toBe(422)
    expect(crossed.body.error.code).toBe('VALIDATION_ERROR')
    expect(crossed.body.error.details).toHaveProperty('send_delay_max')
    for (const body of [
      { name: 'X', engine: 'telegram' },
      { name: '' },
      {},
      { name: 'X', daily_limit: 0 },
      { name: 'X', send_delay_min: -1 },
    ]) {
      const res = await api('POST', '/instances', body)
      expect(res.status, JSON.stringify(body)).toBe(422)
      expect(res.body.error.code).toBe('VALIDATION_ERROR')
    }
  })

  it('finds an instance by uuid and by integer id, and 404s otherwise', async () => {
    const instance = await create()
    const byUuid = await api('GET', `/instances/${instance.uuid}`)
    const byId = await api('GET', `/instances/${instance.id}`)
    expect(byUuid.status).toBe(200)
    expect(byId.body.data.uuid).toBe(instance.uuid)
    expect(byId.body.data.id).toBe(instance.id)
    for (const ref of ['00000000-0000-4000-8000-000000000000', '999999', 'nonsense', '0']) {
      const res = await api('GET', `/instances/${ref}`)
      expect(res.status, ref).toBe(404)
      expect(res.body.error.code).toBe('NOT_FOUND')
    }
  })

  it('filters the list by every status and paginates it', async () => {
    const { db } = app.database
    const other = await app.register()
    // A fresh tenant, so that the counts are exactly what this test made.
    const as = other.token
    const states = ['pending', 'connecting', 'qr_ready', 'connected', 'disconnected', 'logged_out']
    for (const status of states) await createInstance(db, other.tenantId, { status, name: status })
    await createInstance(db, other.tenantId, { status: 'connected', name: 'connected 2' })
    for (const status of states) {
      const res = await api('GET', `/instances?status=${status}`, undefined, as)
      expect(res.status, status).toBe(200)
      const names = res.body.data.instances.map((i: { name: string; status: string }) => i.status)
      expect(names.length, status).toBe(status === 'connected' ? 2 : 1)
      expect(new Set(names), status).toEqual(new Set([status]))
      expect(res.body.meta.pagination.total).toBe(names.length)
    }
    expect((await api('GET', '/instances?status=online', undefined, as)).status).toBe(422)

    const page2 = await api('GET', '/instances?per_page=3&page=2', undefined, as)
    expect(page2.body.data.instances.map((i: { name: string }) => i.name)).toEqual([
      'connected',
      'disconnected',
      'logged_out',
    ])
    expect(page2.body.meta.pagination).toEqual({
      total: 7,
      per_page: 3,
      current_page: 2,
      last_page: 3,
      from: 4,
      to: 6,
    })
    const past = await api('GET', '/instances?per_page=3&page=9', undefined, as)
    expect(past.body.data.instances).toEqual([])
    expect(past.body.meta.pagination).toMatchObject({ total: 7, from: null, to: null })
    const all = await api('GET', '/instances', undefined, as)
    expect(all.body.meta.pagination).toMatchObject({ total: 7, per_page: 20, current_page: 1, last_page: 1 })
    expect(all.body.data.instances[0]).toMatchObject({ connected: false, remaining_quota: 500 })
    expect((await api('GET', '/instances?per_page=101', undefined, as)).status).toBe(422)
    // The owner's own list never shows the other tenant's instances.
    const mine = await api('GET', '/instances?per_page=100')
    expect(mine.body.data.instances.every((i: { name: string }) => !states.includes(i.name))).toBe(true)
  })

  it('updates the name, limit, delays and merges the settings', async () => {
    const instance = await create({ settings: { auto_deliver: false, note: 'a' } })
    const res = await api('PATCH', `/instances/${instance.uuid}`, {
      name: 'Renamed',
      daily_limit: 120,
      send_delay_min: 1,
      send_delay_max: 2,
      settings: { note: 'b', extra: 1 },
    })
    expect(res.status).toBe(200)
    expect(res.body.message).toBe('Instance updated')
    expect(res.body.data).toMatchObject({
      name: 'Renamed',
      daily_limit: 120,
      remaining_quota: 120,
      send_delay_min: 1,
      send_delay_max: 2,
      settings: { auto_deliver: false, note: 'b', extra: 1 },
    })
    const byId = await api('PATCH', `/instances/${instance.id}`, { send_delay_max: 4 })
    expect(byId.body.data).toMatchObject({ name: 'Renamed', send_delay_min: 1, send_delay_max: 4 })
    const crossed = await api('PATCH', `/instances/${instance.uuid}`, { send_delay_min: 5 })
    expect(crossed.status).toBe(422)
    expect(crossed.body.error.details).toHaveProperty('send_delay_max')
    expect((await api('PATCH', `/instances/${instance.uuid}`, { daily_limit: 0 })).status).toBe(422)
    expect((await api('GET', `/instances/${instance.uuid}`)).body.data.send_delay_max).toBe(4)
    expect((await api('PATCH', '/instances/999999', { name: 'Nope' })).status).toBe(404)
  })

  it('makes, lists and revokes sk_ tokens; only a hash is stored', async () => {
    const instance = await create()
    const made = await api('POST', `/instances/${instance.uuid}/tokens`, { name: ' CI ' })
    expect(made.status).toBe(201)
    const secret: string = made.body.data.token
    expect(secret).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/)
    expect(made.body.data).toMatchObject({ name: 'CI', token_hint: secret.slice(-4) })

    const listed = await api('GET', `/instances/${instance.id}/tokens`)
    expect(listed.status).toBe(200)
    expect(listed.body.data.tokens).toHaveLength(1)
    expect(listed.body.data.tokens[0]).toMatchObject({
      id: made.body.data.id,
      name: 'CI',
      last_used_at: null,
    })
    expect(listed.text).not.toContain(secret)

    const rows = await app.database.db.selectFrom('instance_tokens').selectAll().execute()
    const row = rows.find((r) => r.id === made.body.data.id)!
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'))
    expect(JSON.stringify(rows)).not.toContain(secret.slice(3))

    const own = await api('GET', `/instances/${instance.uuid}`, undefined, secret)
    expect(own.status).toBe(200)
    const used = await api('GET', `/instances/${instance.uuid}/tokens`)
    expect(used.body.data.tokens[0].last_used_at).not.toBeNull()

    const revoked = await api('DELETE', `/instances/${instance.uuid}/tokens/${made.body.data.id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ success: true, message: 'Token revoked' })
    expect((await api('GET', `/instances/${instance.uuid}`, undefined, secret)).status).toBe(401)
    expect((await api('DELETE', `/instances/${instance.uuid}/tokens/${made.body.data.id}`)).status).toBe(404)
    expect((await api('GET', `/instances/${instance.uuid}/tokens`)).body.data.tokens).toEqual([])
    expect((await api('POST', `/instances/${instance.uuid}/tokens`, { name: '' })).status).toBe(422)

    // A token of another instance is not this instance's to revoke.
    const second = await create()
    const foreign = await api('POST', `/instances/${second.uuid}/tokens`, { name: 'B' })
    expect((await api('DELETE', `/instances/${instance.uuid}/tokens/${foreign.body.data.id}`)).status).toBe(
      404,
    )
    expect((await api('GET', `/instances/${second.uuid}`, undefined, foreign.body.data.token)).status).toBe(
      200,
    )
  })

  it('deletes an instance with its session and tokens', async () => {
    const instance = await create()
    const made = await api('POST', `/instances/${instance.uuid}/tokens`, { name: 'Bot' })
    await eventually(async () => {
      expect((await api('GET', `/instances/${instance.uuid}`)).body.data.status).toBe('qr_ready')
    })
    const scan = await api('POST', `/sandbox/instances/${instance.uuid}/scan`, {})
    expect(scan.status).toBe(200)
    const res = await api('DELETE', `/instances/${instance.uuid}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: 'Instance deleted' })
    expect((await api('GET', `/instances/${instance.uuid}`)).status).toBe(404)
    expect((await api('GET', `/instances/${instance.id}/qr`)).status).toBe(404)
    expect((await api('DELETE', `/instances/${instance.uuid}`)).status).toBe(404)
    const me = await api('GET', `/instances/${instance.uuid}`, undefined, made.body.data.token)
    expect(me.status).toBe(401)
    const { db } = app.database
    const creds = await db
      .selectFrom('instance_auth_creds')
      .where('instance_id', '=', instance.id)
      .selectAll()
      .execute()
    expect(creds).toEqual([])
    expect(await db.selectFrom('instances').where('id', '=', instance.id).selectAll().execute()).toEqual([])
  })

  it('answers stats counted for the instance', async () => {
    const instance = await create({ daily_limit: 80 })
    const res = await api('GET', `/instances/${instance.uuid}/stats`)
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ daily_limit: 80, messages_sent_today: 0, remaining_quota: 80 })
    expect(res.body.data).toHaveProperty('last_activity_at')
  })
})
