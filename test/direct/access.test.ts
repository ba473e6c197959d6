import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { instanceToken, keysOf, sandboxInstance, type TestInstance } from './support.js'

const STATUS_KEYS = [
  'connected',
  'connecting',
  'lastHeartbeat',
  'name',
  'phone',
  'phoneNumber',
  'platform',
  'status',
  'success',
  'uptime',
]

describe('direct endpoints: which instance a request acts on', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let other: Awaited<ReturnType<TestApp['register']>>
  let a: TestInstance
  let b: TestInstance
  let foreign: TestInstance
  let skA: string
  let skForeign: string

  beforeAll(async () => {
    app = await startTestApp({ deps: { sandboxNetwork: new SandboxNetwork() } })
    owner = await app.register()
    other = await app.register()
    a = await sandboxInstance(app, owner.token, { phone: '15551110001', name: 'Support' })
    b = await sandboxInstance(app, owner.token, { phone: '15551110002' })
    foreign = await sandboxInstance(app, other.token, { phone: '15551110003' })
    skA = await instanceToken(app, owner.token, a.uuid)
    skForeign = await instanceToken(app, other.token, foreign.uuid)
  })
  afterAll(() => app.close())

  it('GET /status on the instance host with a user token answers the union of both documents', async () => {
    const res = await app.request('GET', '/status', { token: owner.token, headers: { host: a.host } })
    expect(res.status).toBe(200)
    expect(keysOf(res.body)).toEqual(STATUS_KEYS)
    expect(res.body).toMatchObject({
      success: true,
      status: 'connected',
      connected: true,
      connecting: false,
      phone: '15551110001',
      phoneNumber: '15551110001',
      name: 'Support',
      platform: 'sandbox',
    })
    expect(typeof res.body.uptime).toBe('number')
    expect(res.body.uptime).toBeGreaterThanOrEqual(0)
  })

  it('GET /status on the instance host with the instance sk_ token', async () => {
    const res = await app.request('GET', '/status', { token: skA, headers: { host: `${a.host}:8080` } })
    expect(res.status).toBe(200)
    expect(res.body.phone).toBe('15551110001')
  })

  it('on the main host an sk_ token names its own instance', async () => {
    const res = await app.request('GET', '/status', { token: skA })
    expect(res.status).toBe(200)
    expect(res.body.phoneNumber).toBe('15551110001')
  })

  it('on the main host a user token gets 400 INSTANCE_REQUIRED saying how to name one', async () => {
    for (const [method, path] of [
      ['GET', '/status'],
      ['GET', '/qr'],
      ['POST', '/send-message'],
      ['GET', '/groups'],
      ['POST', '/reconnect'],
      ['POST', '/logout'],
    ] as const) {
      const res = await app.request(method, path, {
        token: owner.token,
        ...(method === 'POST' && path === '/send-message'
          ? { body: { to: '15557770001', message: 'hi' } }
          : {}),
      })
      expect(res.status, path).toBe(400)
      expect(res.body.error.code).toBe('INSTANCE_REQUIRED')
      expect(res.body.error.message).toContain('instance-{id}.localhost')
      expect(res.body.error.message).toContain('sk_')
    }
  })

  it("an sk_ token of instance A on instance B's host is 404", async () => {
    const res = await app.request('GET', '/status', { token: skA, headers: { host: b.host } })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NOT_FOUND')
  })

  it("another tenant's instance is 404, by host or by token", async () => {
    const byHost = await app.request('GET', '/status', {
      token: owner.token,
      headers: { host: foreign.host },
    })
    expect(byHost.status).toBe(404)
    const byToken = await app.request('GET', '/status', { token: skForeign, headers: { host: a.host } })
    expect(byToken.status).toBe(404)
    const unknown = await app.request('GET', '/status', {
      token: owner.token,
      headers: { host: 'instance-999999.localhost' },
    })
    expect(unknown.status).toBe(404)
    // The other tenant reaches its own instance.
    const own = await app.request('GET', '/status', { token: skForeign })
    expect(own.body.phone).toBe('15551110003')
  })

  it('needs a token', async () => {
    const res = await app.request('GET', '/status', { headers: { host: a.host } })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('UNAUTHENTICATED')
  })

  it('GET /qr of a connected instance: 200 with the QR fields null', async () => {
    const res = await app.request('GET', '/qr', { token: skA })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      success: true,
      status: 'connected',
      qr_code: null,
      qr_code_text: null,
      qr: null,
    })
    expect(keysOf(res.body)).toEqual([
      'message',
      'qr',
      'qr_code',
      'qr_code_text',
      'qr_expired',
      'qr_generated_at',
      'status',
      'success',
    ])
  })

  it('GET /qr of an instance waiting for its scan shows the code in both spellings', async () => {
    const waiting = await sandboxInstance(app, owner.token, { connect: false })
    const res = await app.request('GET', '/qr', { token: owner.token, headers: { host: waiting.host } })
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('qr_ready')
    expect(res.body.qr_code).toMatch(/^data:image\/png;base64,/)
    expect(res.body.qr_code_text).toMatch(/^2@/)
    expect(res.body.qr).toBe(res.body.qr_code_text)
    expect(res.body.qr_expired).toBe(false)

    const status = await app.request('GET', '/status', {
      token: owner.token,
      headers: { host: waiting.host },
    })
    expect(status.body).toMatchObject({ status: 'qr_ready', connected: false, phone: null, uptime: 0 })
  })

  it('POST /reconnect restarts the connection; the session is kept', async () => {
    const res = await app.request('POST', '/reconnect', { token: owner.token, headers: { host: b.host } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Reconnection started' })
    await eventually(async () => {
      const status = await app.request('GET', '/status', { token: owner.token, headers: { host: b.host } })
      expect(status.body).toMatchObject({ status: 'connected', phone: '15551110002' })
    })
  })

  it('POST /logout clears the session: sends are refused and a new QR is needed', async () => {
    const gone = await sandboxInstance(app, owner.token, { phone: '15551110004' })
    const sk = await instanceToken(app, owner.token, gone.uuid)
    const res = await app.request('POST', '/logout', { token: sk })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, status: 'logged_out' })

    const status = await app.request('GET', '/status', { token: sk })
    expect(status.body).toMatchObject({ status: 'logged_out', connected: false, phone: null })
    const send = await app.request('POST', '/send-message', {
      token: sk,
      body: { number: '15557770001', message: 'after logout' },
    })
    expect(send.status).toBe(409)
    expect(send.body.error.code).toBe('INSTANCE_NOT_CONNECTED')

    // Reconnecting starts over with a QR code.
    await app.request('POST', '/reconnect', { token: sk })
    await eventually(async () => {
      const qr = await app.request('GET', '/qr', { token: sk })
      expect(qr.body.status).toBe('qr_ready')
      expect(qr.body.qr).toMatch(/^2@/)
    })
  })

  it('the direct endpoints live at the root, not under /api/v1', async () => {
    const prefixed = await app.request('GET', '/api/v1/status', { token: skA })
    expect(prefixed.status).toBe(404)
    const root = await app.request('GET', '/status', { token: skA })
    expect(root.status).toBe(200)
  })

  it('the OpenAPI document lists the direct endpoints with their error codes', async () => {
    const res = await app.request('GET', '/api/v1/openapi.json')
    const paths = res.body.paths as Record<string, Record<string, any>>
    for (const path of [
      '/status',
      '/qr',
      '/send-message',
      '/send-media',
      '/send-reaction',
      '/delete-message',
      '/groups',
      '/group/create',
      '/group/{jid}/metadata',
      '/reconnect',
      '/logout',
    ]) {
      expect(paths[path], path).toBeDefined()
    }
    const send = paths['/send-message']!['post']
    expect(JSON.stringify(send.responses['409'])).toContain('INSTANCE_NOT_CONNECTED')
    expect(JSON.stringify(send.responses['400'])).toContain('INSTANCE_REQUIRED')
    expect(JSON.stringify(send.responses['422'])).toContain('NOT_ON_WHATSAPP')
  })
})
