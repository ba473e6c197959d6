import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { API, expectError, invalidFields, loginToken, meStatus } from './support.js'

describe('user tokens', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  it('answers 401 UNAUTHENTICATED to a missing, garbage or malformed Authorization header', async () => {
    const { token } = await app.register()
    const [id] = token.split('|')
    const headers = [
      undefined,
      'Bearer',
      'Bearer garbage',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${id}|not-the-secret`,
      `Bearer ${id}|`,
      `Bearer |${token.split('|')[1]}`,
      `Bearer 0|${token.split('|')[1]}`,
      'Bearer 99999999999|secret',
      // Larger than a 32-bit id: must not reach the database as an out-of-range integer.
      'Bearer 9999999999|secret',
      `Bearer ${token} extra`,
      `Token ${token}`,
    ]
    for (const authorization of headers) {
      const res = await app.request(
        'GET',
        `${API}/auth/me`,
        authorization ? { headers: { authorization } } : {},
      )
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 })
      expectError(res, 401, 'UNAUTHENTICATED')
    }
    // The scheme is case-insensitive and the token is the same.
    const lower = await app.request('GET', `${API}/auth/me`, {
      headers: { authorization: `bearer ${token}` },
    })
    expect(lower.status).toBe(200)
  })

  it('logout revokes the current token only', async () => {
    const account = await app.register()
    const other = await loginToken(app, account.email, account.password)
    const res = await app.request('POST', `${API}/auth/logout`, { token: account.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: expect.any(String) })
    expect(await meStatus(app, account.token)).toBe(401)
    expect(await meStatus(app, other)).toBe(200)
    expectError(
      await app.request('POST', `${API}/auth/logout`, { token: account.token }),
      401,
      'UNAUTHENTICATED',
    )
  })

  it("logout-all revokes every token of the user and no one else's", async () => {
    const account = await app.register()
    const second = await loginToken(app, account.email, account.password)
    const third = await loginToken(app, account.email, account.password)
    const stranger = await app.register()

    const res = await app.request('POST', `${API}/auth/logout-all`, { token: second })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, data: { revoked: 3 } })
    for (const token of [account.token, second, third]) expect(await meStatus(app, token)).toBe(401)
    expect(await meStatus(app, stranger.token)).toBe(200)
  })

  it('refresh answers a new token and revokes the old one at once', async () => {
    const account = await app.register()
    const res = await app.request('POST', `${API}/auth/refresh`, { token: account.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      success: true,
      message: 'Token refreshed',
      data: {
        token: expect.stringMatching(/^\d+\|[A-Za-z0-9]{40}$/),
        token_type: 'Bearer',
        expires_at: null,
      },
    })
    const fresh = res.body.data.token
    expect(fresh).not.toBe(account.token)
    expect(await meStatus(app, fresh)).toBe(200)
    expect(await meStatus(app, account.token)).toBe(401)
    expectError(
      await app.request('POST', `${API}/auth/refresh`, { token: account.token }),
      401,
      'UNAUTHENTICATED',
    )
  })

  it('keeps the name of the session across a refresh', async () => {
    const account = await app.register()
    const named = await loginToken(app, account.email, account.password, 'My App')
    const fresh = (await app.request('POST', `${API}/auth/refresh`, { token: named })).body.data.token
    const list = (await app.request('GET', `${API}/auth/sessions`, { token: fresh })).body.data.sessions
    expect(list.find((s: { is_current: boolean }) => s.is_current)).toMatchObject({
      id: Number(fresh.split('|')[0]),
      name: 'My App',
    })
  })
})

describe('sessions', () => {
  let app: TestApp
  let alice: Awaited<ReturnType<TestApp['register']>>
  beforeAll(async () => {
    app = await startTestApp()
    alice = await app.register()
  })
  afterAll(() => app.close())

  const sessions = (token: string) => app.request('GET', `${API}/auth/sessions`, { token })
  const revoke = (token: string, id: number | string) =>
    app.request('DELETE', `${API}/auth/sessions/${id}`, { token })
  const idOf = (token: string) => Number(token.split('|')[0])

  it('lists the sessions of the user, named by device_name or User-Agent, with is_current', async () => {
    const phone = await loginToken(app, alice.email, alice.password, 'Phone')
    const browser = await app.request('POST', `${API}/auth/login`, {
      body: { email: alice.email, password: alice.password },
      headers: {
        'user-agent':
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      },
    })
    const chrome = browser.body.data.token as string
    await app.register() // someone else's session must not show up

    const res = await sessions(phone)
    expect(res.status).toBe(200)
    const list = res.body.data.sessions as Array<Record<string, unknown>>
    expect(list.map((s) => s.id).sort()).toEqual([idOf(alice.token), idOf(phone), idOf(chrome)].sort())
    for (const session of list) {
      expect(session).toEqual({
        id: expect.any(Number),
        name: expect.any(String),
        ip: '127.0.0.1',
        user_agent: session.id === idOf(chrome) ? expect.stringContaining('Chrome/120') : null,
        // Only the token of this request was used so far.
        last_used_at: session.id === idOf(phone) ? expect.stringMatching(/Z$/) : null,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        expires_at: null,
        is_current: session.id === idOf(phone),
      })
    }
    const names = Object.fromEntries(list.map((s) => [s.id, s.name]))
    expect(names[idOf(phone)]).toBe('Phone')
    expect(names[idOf(chrome)]).toBe('Chrome - Windows')
    expect(names[idOf(alice.token)]).toBe('API')
    expect(list.filter((s) => s.is_current)).toHaveLength(1)
  })

  it('revokes another session of the user, which then gets 401', async () => {
    const current = await loginToken(app, alice.email, alice.password, 'Current')
    const doomed = await loginToken(app, alice.email, alice.password, 'Doomed')
    const res = await revoke(current, idOf(doomed))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: expect.any(String) })
    expect(await meStatus(app, doomed)).toBe(401)
    expect(await meStatus(app, current)).toBe(200)
    const ids = (await sessions(current)).body.data.sessions.map((s: { id: number }) => s.id)
    expect(ids).not.toContain(idOf(doomed))
    expectError(await revoke(current, idOf(doomed)), 404, 'NOT_FOUND')
  })

  it("answers 404 for another tenant's session, which keeps working, and for an unknown id", async () => {
    const mallory = await app.register({ tenant_name: 'Other tenant' })
    expect(mallory.user.tenant.id).not.toBe(alice.user.tenant.id)
    const target = await loginToken(app, alice.email, alice.password)

    expectError(await revoke(mallory.token, idOf(target)), 404, 'NOT_FOUND')
    expect(await meStatus(app, target)).toBe(200)
    const seen = (await sessions(mallory.token)).body.data.sessions.map((s: { id: number }) => s.id)
    expect(seen).toEqual([idOf(mallory.token)])

    expectError(await revoke(alice.token, 999_999), 404, 'NOT_FOUND')
  })

  it('answers 422 to a session id that is not a positive integer', async () => {
    for (const id of ['abc', '1.5', '0', '-3', '99999999999']) {
      expect(invalidFields(await revoke(alice.token, id))).toEqual(['id'])
    }
  })
})

describe('token lifetime', () => {
  const clock = manualClock()
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { TOKEN_TTL_DAYS: '1' } })
  })
  afterAll(() => app.close())

  it('issues tokens that expire after TOKEN_TTL_DAYS', async () => {
    const account = await app.register()
    const other = await loginToken(app, account.email, account.password)
    const row = await app.database.db
      .selectFrom('user_tokens')
      .select('expires_at')
      .where('id', '=', Number(account.token.split('|')[0]))
      .executeTakeFirstOrThrow()
    expect(row.expires_at).toBe('2026-01-16T10:00:00.000Z')
    const listed = await app.request('GET', `${API}/auth/sessions`, { token: account.token })
    expect(listed.body.data.sessions[0].expires_at).toBe('2026-01-16T10:00:00.000Z')

    clock.advance(86_399)
    expect(await meStatus(app, other)).toBe(200)
    // A refreshed token gets a full lifetime from now.
    const refreshed = await app.request('POST', `${API}/auth/refresh`, { token: account.token })
    expect(refreshed.body.data.expires_at).toBe('2026-01-17T09:59:59.000Z')

    clock.advance(1)
    expectError(await app.request('GET', `${API}/auth/me`, { token: other }), 401, 'UNAUTHENTICATED')
    expect(await meStatus(app, refreshed.body.data.token)).toBe(200)

    clock.advance(86_399)
    expect(await meStatus(app, refreshed.body.data.token)).toBe(401)
  })
})
