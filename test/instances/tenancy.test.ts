import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/wait.js'
import { type SandboxApp, startSandboxApp } from './sandbox-app.js'

/** Every instance endpoint and sandbox control, with a valid body, for an instance reference. */
function endpoints(ref: string): [string, string, unknown?][] {
  return [
    ['GET', `/instances/${ref}`],
    ['PATCH', `/instances/${ref}`, { name: 'Taken' }],
    ['GET', `/instances/${ref}/qr`],
    ['GET', `/instances/${ref}/status?realtime=true`],
    ['GET', `/instances/${ref}/stats`],
    ['POST', `/instances/${ref}/disconnect`],
    ['POST', `/instances/${ref}/reconnect`],
    ['POST', `/instances/${ref}/logout`],
    ['POST', `/instances/${ref}/pairing-code`, { phone_number: '15559990001' }],
    ['POST', `/sandbox/instances/${ref}/scan`, {}],
    ['POST', `/sandbox/instances/${ref}/inbound`, { from: '15559990002', message: 'hi' }],
    ['POST', `/sandbox/instances/${ref}/receipt`, { message_id: '3EB0AAAA', status: 'read' }],
    [
      'POST',
      `/sandbox/instances/${ref}/reaction`,
      { from: '15559990002', message_id: '3EB0AAAA', emoji: '👍' },
    ],
    ['POST', `/sandbox/instances/${ref}/drop`],
  ]
}

/** The endpoints only user tokens may call. */
function userOnly(ref: string): [string, string, unknown?][] {
  return [
    ['DELETE', `/instances/${ref}`],
    ['GET', `/instances/${ref}/tokens`],
    ['POST', `/instances/${ref}/tokens`, { name: 'Mine now' }],
    ['DELETE', `/instances/${ref}/tokens/1`],
  ]
}

describe('instances and tenancy', () => {
  let app: SandboxApp
  let owner: string
  let stranger: string
  let first: { id: number; uuid: string }
  let second: { id: number; uuid: string }
  let firstToken: string
  const api = (as: string, method: string, path: string, body?: unknown) =>
    app.request(method, `/api/v1${path}`, { token: as, ...(body !== undefined ? { body } : {}) })
  const connected = async (uuid: string) => {
    await eventually(async () =>
      expect((await api(owner, 'GET', `/instances/${uuid}`)).body.data.status).toBe('qr_ready'),
    )
    expect((await api(owner, 'POST', `/sandbox/instances/${uuid}/scan`, {})).status).toBe(200)
    await eventually(async () =>
      expect((await api(owner, 'GET', `/instances/${uuid}`)).body.data.status).toBe('connected'),
    )
  }

  beforeAll(async () => {
    app = await startSandboxApp()
    owner = (await app.register()).token
    stranger = (await app.register()).token
    first = (await api(owner, 'POST', '/instances', { name: 'First', engine: 'sandbox' })).body.data
    second = (await api(owner, 'POST', '/instances', { name: 'Second', engine: 'sandbox' })).body.data
    await connected(first.uuid)
    await connected(second.uuid)
    firstToken = (await api(owner, 'POST', `/instances/${first.uuid}/tokens`, { name: 'A' })).body.data.token
  })
  afterAll(() => app.close())

  it('answers 404 to another tenant on every endpoint, by uuid and by id, and changes nothing', async () => {
    for (const ref of [first.uuid, String(first.id)]) {
      for (const [method, path, body] of [...endpoints(ref), ...userOnly(ref)]) {
        const res = await api(stranger, method, path, body)
        expect(res.status, `${method} ${path}`).toBe(404)
        expect(res.body.error.code, `${method} ${path}`).toBe('NOT_FOUND')
      }
    }
    const list = await api(stranger, 'GET', '/instances')
    expect(list.body.data.instances).toEqual([])
    const mine = (await api(owner, 'GET', `/instances/${first.uuid}`)).body.data
    expect(mine).toMatchObject({ name: 'First', status: 'connected' })
    expect((await api(firstToken, 'GET', `/instances/${first.uuid}`)).status).toBe(200)
  })

  it('keeps an sk_ token to its own instance', async () => {
    for (const ref of [second.uuid, String(second.id)]) {
      for (const [method, path, body] of endpoints(ref)) {
        const res = await api(firstToken, method, path, body)
        expect(res.status, `${method} ${path}`).toBe(404)
      }
    }
    expect((await api(owner, 'GET', `/instances/${second.uuid}`)).body.data).toMatchObject({
      name: 'Second',
      status: 'connected',
    })

    const list = await api(firstToken, 'GET', '/instances')
    expect(list.status).toBe(200)
    expect(list.body.data.instances.map((i: { uuid: string }) => i.uuid)).toEqual([first.uuid])
    expect(list.body.meta.pagination.total).toBe(1)
    expect((await api(firstToken, 'GET', '/instances?status=connected')).body.data.instances).toHaveLength(1)
    for (const [method, path, body] of [...userOnly(first.uuid), ...userOnly(second.uuid)]) {
      const res = await api(firstToken, method, path, body)
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.error.code).toBe('FORBIDDEN')
    }
    const create = await api(firstToken, 'POST', '/instances', { name: 'Sneaky', engine: 'sandbox' })
    expect(create.status).toBe(403)
    const all = await api(owner, 'GET', '/instances')
    expect(all.body.data.instances.map((i: { name: string }) => i.name)).toEqual(['First', 'Second'])

    // What is its own, it may use.
    expect((await api(firstToken, 'GET', `/instances/${first.id}/status`)).body.data.status).toBe('connected')
    expect((await api(firstToken, 'GET', `/instances/${first.uuid}/stats`)).status).toBe(200)
    expect(
      (await api(firstToken, 'PATCH', `/instances/${first.uuid}`, { name: 'First!' })).body.data.name,
    ).toBe('First!')
    expect(
      (
        await api(firstToken, 'POST', `/sandbox/instances/${first.uuid}/inbound`, {
          from: '15559990002',
          message: 'hi',
        })
      ).status,
    ).toBe(201)
  })

  it('rejects missing and unknown tokens with 401', async () => {
    for (const [method, path, body] of [
      ...endpoints(first.uuid),
      ['GET', '/instances'] as [string, string],
    ]) {
      const bare = await app.request(method, `/api/v1${path}`, body === undefined ? {} : { body })
      expect(bare.status, `${method} ${path}`).toBe(401)
      expect((await api('sk_notatoken', method, path, body)).status, `${method} ${path}`).toBe(401)
    }
  })

  it('handles a Baileys instance without a 500, and keeps the sandbox controls away from it', async () => {
    const made = await api(owner, 'POST', '/instances', { name: 'Real phone', engine: 'baileys' })
    expect(made.status).toBe(201)
    const { uuid } = made.body.data
    expect(made.body.data.engine).toBe('baileys')
    for (const path of ['scan', 'inbound', 'receipt', 'reaction', 'drop']) {
      const body =
        path === 'scan' || path === 'drop' ? {} : endpoints(uuid).find(([, p]) => p.endsWith(path))![2]
      const res = await api(owner, 'POST', `/sandbox/instances/${uuid}/${path}`, body)
      expect(res.status, path).toBe(404)
      expect(res.body.error.code).toBe('NOT_FOUND')
    }
    for (const [method, path, body] of endpoints(uuid).filter(([, p]) => !p.startsWith('/sandbox'))) {
      const res = await api(owner, method, path, body)
      expect(res.status, `${method} ${path} ${res.text}`).toBeLessThan(500)
    }
    const qr = await api(owner, 'GET', `/instances/${uuid}/qr`)
    expect(qr.status).toBe(200)
    expect(qr.body.data).toHaveProperty('qr_expired')
    const deleted = await api(owner, 'DELETE', `/instances/${uuid}`)
    expect(deleted.status).toBe(200)
    expect((await api(owner, 'GET', `/instances/${uuid}`)).status).toBe(404)
  })
})
