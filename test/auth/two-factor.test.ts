import { authenticator } from 'otplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { API, expectError, invalidFields, login, meStatus, sha256, userRow } from './support.js'

const clock = manualClock()

/** The TOTP code of a secret at the app's current time, `offsetSteps` 30-second steps away. */
function totp(secret: string, offsetSteps = 0): string {
  return authenticator.clone({ epoch: clock.now().getTime() + offsetSteps * 30_000 }).generate(secret)
}

/** A six-digit code that is none of the codes the server accepts now (one step of drift either way). */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => totp(secret, offset)))
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0')
    if (!valid.has(code)) return code
  }
}

describe('two-factor login', () => {
  let app: TestApp
  let account: Awaited<ReturnType<TestApp['register']>>
  let secret = ''
  let recoveryCodes: string[] = []

  beforeAll(async () => {
    // A generous failure limit: these tests send wrong codes on purpose; the lock is tested apart.
    app = await startTestApp({ clock, env: { LOGIN_MAX_FAILURES: '50' } })
    account = await app.register()
  })
  afterAll(() => app.close())

  const post = (path: string, body: unknown, token?: string) =>
    app.request('POST', `${API}${path}`, token ? { body, token } : { body })
  const twoFactorLogin = (code: string, password = account.password) =>
    post('/auth/two-factor', { email: account.email, password, code })

  it('answers a two-factor login for an account without it with 409 TWO_FACTOR_NOT_ENABLED', async () => {
    expectError(await twoFactorLogin('123456'), 409, 'TWO_FACTOR_NOT_ENABLED')
  })

  it('starts set-up with a secret, its otpauth URL and a QR code, not yet active', async () => {
    const res = await post('/auth/two-factor/enable', undefined, account.token)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      success: true,
      data: {
        secret: expect.stringMatching(/^[A-Z2-7]{16,}$/),
        otpauth_url: expect.stringMatching(/^otpauth:\/\/totp\/Zapini:/),
        qr_code: expect.stringMatching(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/),
      },
    })
    secret = res.body.data.secret
    const url = new URL(res.body.data.otpauth_url)
    expect(url.searchParams.get('secret')).toBe(secret)
    expect(url.searchParams.get('issuer')).toBe('Zapini')

    // Stored encrypted, and login goes on without a code until set-up is confirmed.
    const row = await userRow(app, account.email)
    expect(row.two_factor_secret).toMatch(/^v1:/)
    expect(row.two_factor_secret).not.toContain(secret)
    expect((await login(app, account.email, account.password)).body.data.token).toBeDefined()
  })

  it('refuses confirmation with a wrong code (422) and turns on with a right one, answering 8 recovery codes', async () => {
    expect(
      invalidFields(await post('/auth/two-factor/confirm', { code: wrongCode(secret) }, account.token)),
    ).toEqual(['code'])

    const res = await post('/auth/two-factor/confirm', { code: totp(secret) }, account.token)
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual({ two_factor_enabled: true, recovery_codes: expect.any(Array) })
    recoveryCodes = res.body.data.recovery_codes
    expect(new Set(recoveryCodes).size).toBe(8)

    const me = await app.request('GET', `${API}/auth/me`, { token: account.token })
    expect(me.body.data.user.two_factor_enabled).toBe(true)
    // Only hashes of the recovery codes are kept.
    const stored = JSON.stringify((await userRow(app, account.email)).two_factor_recovery_codes)
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code)
      expect(stored).toContain(sha256(code))
    }
  })

  it('answers 409 TWO_FACTOR_ALREADY_ENABLED to enable or confirm once it is on', async () => {
    expectError(
      await post('/auth/two-factor/enable', undefined, account.token),
      409,
      'TWO_FACTOR_ALREADY_ENABLED',
    )
    expectError(
      await post('/auth/two-factor/confirm', { code: totp(secret, 1) }, account.token),
      409,
      'TWO_FACTOR_ALREADY_ENABLED',
    )
  })

  it('answers login with the documented two_factor_required shape and issues no token', async () => {
    const tokens = async () => (await app.database.db.selectFrom('user_tokens').select('id').execute()).length
    const before = await tokens()
    const res = await login(app, account.email, account.password)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      success: true,
      two_factor_required: true,
      message: 'Two-factor verification required',
    })
    expect(await tokens()).toBe(before)
  })

  it('completes the login with a TOTP code once; the same code again is refused', async () => {
    // The confirmation used this step's code already.
    expectError(await twoFactorLogin(totp(secret)), 400, 'INVALID_TWO_FACTOR_CODE')

    clock.advance(30)
    const code = totp(secret)
    const res = await twoFactorLogin(code)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      success: true,
      data: {
        user: { email: account.email, two_factor_enabled: true },
        token: expect.stringMatching(/^\d+\|/),
        token_type: 'Bearer',
      },
    })
    expect(await meStatus(app, res.body.data.token)).toBe(200)

    expectError(await twoFactorLogin(code), 400, 'INVALID_TWO_FACTOR_CODE')
  })

  it('refuses a wrong code (400), a wrong password (401) and a code from too long ago', async () => {
    clock.advance(30)
    expectError(await twoFactorLogin(wrongCode(secret)), 400, 'INVALID_TWO_FACTOR_CODE')
    expectError(await twoFactorLogin(totp(secret), 'wrong password'), 401, 'INVALID_CREDENTIALS')
    expectError(await twoFactorLogin(totp(secret, -2)), 400, 'INVALID_TWO_FACTOR_CODE')
  })

  it("accepts the previous step's code (clock drift) when no later code was used", async () => {
    clock.advance(60)
    expect((await twoFactorLogin(totp(secret, -1))).status).toBe(200)
  })

  it('accepts a recovery code once, in any case', async () => {
    const code = recoveryCodes[0]!
    expect((await twoFactorLogin(code.toUpperCase())).status).toBe(200)
    expectError(await twoFactorLogin(code), 400, 'INVALID_TWO_FACTOR_CODE')
    const stored = JSON.stringify((await userRow(app, account.email)).two_factor_recovery_codes)
    expect(stored).not.toContain(sha256(code))
  })

  it('accepts a recovery code once even when it is sent twice at the same time', async () => {
    const code = recoveryCodes[1]!
    const answers = await Promise.all([twoFactorLogin(code), twoFactorLogin(code)])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
  })

  it('turns off only with the password and a valid code', async () => {
    clock.advance(30)
    const disable = (body: unknown) => post('/auth/two-factor/disable', body, account.token)
    expect(invalidFields(await disable({ password: account.password }))).toEqual(['code'])
    expect(invalidFields(await disable({ password: 'wrong password', code: totp(secret) }))).toEqual([
      'password',
    ])
    expect(invalidFields(await disable({ password: account.password, code: wrongCode(secret) }))).toEqual([
      'code',
    ])

    const res = await disable({ password: account.password, code: totp(secret) })
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual({ two_factor_enabled: false })

    const row = await userRow(app, account.email)
    expect(row.two_factor_secret).toBeNull()
    expect(row.two_factor_recovery_codes).toBeNull()
    expect((await login(app, account.email, account.password)).body.data.token).toBeDefined()
    expectError(
      await disable({ password: account.password, code: totp(secret) }),
      409,
      'TWO_FACTOR_NOT_ENABLED',
    )
  })

  it('turns off with a recovery code instead of a TOTP code', async () => {
    const other = await app.register()
    const setup = await post('/auth/two-factor/enable', undefined, other.token)
    const confirmed = await post(
      '/auth/two-factor/confirm',
      { code: totp(setup.body.data.secret) },
      other.token,
    )
    const res = await post(
      '/auth/two-factor/disable',
      { password: other.password, code: confirmed.body.data.recovery_codes[3] },
      other.token,
    )
    expect(res.status).toBe(200)
    expect(res.body.data.two_factor_enabled).toBe(false)
  })
})

describe('two-factor codes and the login lock', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { LOGIN_MAX_FAILURES: '3' } })
  })
  afterAll(() => app.close())

  it('counts wrong codes as failed logins, also when they arrive all at once', async () => {
    const account = await app.register()
    const setup = await app.request('POST', `${API}/auth/two-factor/enable`, { token: account.token })
    const secret = setup.body.data.secret as string
    await app.request('POST', `${API}/auth/two-factor/confirm`, {
      token: account.token,
      body: { code: totp(secret) },
    })

    const body = { email: account.email, password: account.password, code: wrongCode(secret) }
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => app.request('POST', `${API}/auth/two-factor`, { body })),
    )
    const statuses = answers.map((r) => r.status)
    // Three guesses are allowed; every other attempt is refused without being checked.
    expect(statuses.filter((s) => s === 400)).toHaveLength(3)
    expect(statuses.filter((s) => s === 429)).toHaveLength(5)

    clock.advance(30)
    const right = await app.request('POST', `${API}/auth/two-factor`, {
      body: { ...body, code: totp(secret) },
    })
    expectError(right, 429, 'TOO_MANY_ATTEMPTS')
  })
})
