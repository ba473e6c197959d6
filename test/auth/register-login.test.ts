import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { API, expectError, invalidFields, login, meStatus, sha256, userRow } from './support.js'

const PASSWORD = 'correct horse battery'

function registration(email: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'Ana Lima',
    email,
    password: PASSWORD,
    password_confirmation: PASSWORD,
    terms_accepted: true,
    ...overrides,
  }
}

describe('POST /auth/register and /auth/login', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  const register = (body: Record<string, unknown>) => app.request('POST', `${API}/auth/register`, { body })
  const usersWith = async (email: string) =>
    (await app.database.db.selectFrom('users').select('id').where('email', '=', email).execute()).length

  it('creates a tenant and its admin, answers 201 with a token, and stores only hashes', async () => {
    const res = await register(
      registration('Ana.Lima@Example.COM', { device_name: 'Laptop', tenant_name: 'Lima Ltda' }),
    )
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      success: true,
      message: expect.any(String),
      data: {
        user: {
          id: expect.any(Number),
          uuid: expect.any(String),
          name: 'Ana Lima',
          email: 'ana.lima@example.com',
          role: 'admin',
          locale: 'en',
          timezone: 'UTC',
          email_verified: false,
          two_factor_enabled: false,
          tenant: { id: expect.any(Number), uuid: expect.any(String), name: 'Lima Ltda', status: 'active' },
          created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/),
        },
        token: expect.stringMatching(/^\d+\|[A-Za-z0-9]{40}$/),
        token_type: 'Bearer',
        expires_at: null,
      },
    })
    const { token, user } = res.body.data
    expect(await meStatus(app, token)).toBe(200)

    const row = await userRow(app, 'ana.lima@example.com')
    expect(row.id).toBe(user.id)
    expect(row.tenant_id).toBe(user.tenant.id)
    expect(row.password_hash).toMatch(/^\$argon2id\$/)
    expect(row.password_hash).not.toContain(PASSWORD)

    const [id, secret] = token.split('|')
    const stored = await app.database.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('id', '=', Number(id))
      .executeTakeFirstOrThrow()
    expect(stored).toMatchObject({ user_id: user.id, tenant_id: user.tenant.id, name: 'Laptop' })
    expect(stored.token_hash).toBe(sha256(secret!))
  })

  it('names the tenant after the user when no tenant name is given', async () => {
    const res = await register(registration('solo@example.com', { name: 'Bruno' }))
    expect(res.status).toBe(201)
    expect(res.body.data.user.tenant.name).toBe("Bruno's workspace")
  })

  it('refuses an e-mail that is taken, whatever its case', async () => {
    expect((await register(registration('dup@example.com'))).status).toBe(201)
    const res = await register(registration('DUP@Example.com'))
    expect(invalidFields(res)).toEqual(['email'])
    expect(await usersWith('dup@example.com')).toBe(1)
  })

  it('refuses a short password, a mismatch, unaccepted terms and a blank name, creating nothing', async () => {
    const short = await register(
      registration('short@example.com', { password: 'seven77', password_confirmation: 'seven77' }),
    )
    expect(invalidFields(short)).toEqual(['password'])

    const mismatch = await register(
      registration('mismatch@example.com', { password_confirmation: 'another password' }),
    )
    expect(invalidFields(mismatch)).toEqual(['password_confirmation'])

    const terms = await register(registration('terms@example.com', { terms_accepted: false }))
    expect(invalidFields(terms)).toEqual(['terms_accepted'])

    const blank = await register(registration('blank@example.com', { name: '   ' }))
    expect(invalidFields(blank)).toEqual(['name'])

    for (const email of [
      'short@example.com',
      'mismatch@example.com',
      'terms@example.com',
      'blank@example.com',
    ]) {
      expect(await usersWith(email)).toBe(0)
    }
  })

  it('logs in with the documented fields; the e-mail is case-insensitive', async () => {
    const { email, user, token: first } = await app.register({ tenant_name: 'My Company' })
    const res = await login(app, email.toUpperCase(), PASSWORD, { device_name: 'My App' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      success: true,
      message: 'Login successful',
      data: {
        user: {
          id: user.id,
          name: 'Test User',
          email,
          role: 'admin',
          locale: 'en',
          tenant: { id: user.tenant.id, name: 'My Company', status: 'active' },
        },
        token: expect.stringMatching(/^\d+\|[A-Za-z0-9]{40}$/),
        token_type: 'Bearer',
        expires_at: null,
      },
    })
    // A login opens another session; the registration's token keeps working.
    expect(res.body.data.token).not.toBe(first)
    expect(await meStatus(app, res.body.data.token)).toBe(200)
    expect(await meStatus(app, first)).toBe(200)
  })

  it('answers 401 INVALID_CREDENTIALS alike for a wrong password and an unknown e-mail', async () => {
    const { email } = await app.register()
    const wrong = await login(app, email, 'not the password')
    expectError(wrong, 401, 'INVALID_CREDENTIALS')
    const unknown = await login(app, 'nobody@example.com', PASSWORD)
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: wrong.status, body: wrong.body })
    expect(wrong.body.data).toBeUndefined()
  })

  it('refuses a login without a password (422) and a user of a suspended tenant (403)', async () => {
    const { email, user, token } = await app.register()
    expect(invalidFields(await app.request('POST', `${API}/auth/login`, { body: { email } }))).toEqual([
      'password',
    ])

    await app.database.db
      .updateTable('tenants')
      .set({ status: 'suspended' })
      .where('id', '=', user.tenant.id)
      .execute()
    expectError(await login(app, email, PASSWORD), 403, 'FORBIDDEN')
    expect(await meStatus(app, token)).toBe(401)
  })
})

describe('registration turned off', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ env: { REGISTRATION_ENABLED: 'false' } })
  })
  afterAll(() => app.close())

  it('answers 403 REGISTRATION_DISABLED and creates nothing', async () => {
    const res = await app.request('POST', `${API}/auth/register`, { body: registration('new@example.com') })
    expectError(res, 403, 'REGISTRATION_DISABLED')
    const tenants = await app.database.db.selectFrom('tenants').select('id').execute()
    expect(tenants).toEqual([])
  })
})

describe('login throttling', () => {
  const clock = manualClock()
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '600' } })
  })
  afterAll(() => app.close())

  it('locks an e-mail out after LOGIN_MAX_FAILURES failures, even with the right password', async () => {
    const { email } = await app.register()
    const bystander = await app.register()
    for (let i = 0; i < 3; i++)
      expectError(await login(app, email, 'wrong password'), 401, 'INVALID_CREDENTIALS')

    const locked = await login(app, email, PASSWORD)
    expectError(locked, 429, 'TOO_MANY_ATTEMPTS')
    expect(locked.headers['retry-after']).toBe('600')
    expect(locked.body.error.details.retry_after).toBe(600)
    // The lock is per e-mail: another account logs in.
    expect((await login(app, bystander.email, PASSWORD)).status).toBe(200)

    clock.advance(400)
    const still = await login(app, email, PASSWORD)
    expectError(still, 429, 'TOO_MANY_ATTEMPTS')
    expect(still.headers['retry-after']).toBe('200')

    clock.advance(201)
    expect((await login(app, email, PASSWORD)).status).toBe(200)
  })

  it('forgets earlier failures after a successful login', async () => {
    const { email } = await app.register()
    for (let i = 0; i < 2; i++) expect((await login(app, email, 'wrong password')).status).toBe(401)
    expect((await login(app, email, PASSWORD)).status).toBe(200)
    for (let i = 0; i < 2; i++) expect((await login(app, email, 'wrong password')).status).toBe(401)
    expect((await login(app, email, PASSWORD)).status).toBe(200)
  })

  it('checks no more than LOGIN_MAX_FAILURES passwords of a burst of parallel attempts', async () => {
    const { email } = await app.register()
    const answers = await Promise.all(Array.from({ length: 10 }, () => login(app, email, 'wrong password')))
    const statuses = answers.map((r) => r.status).sort()
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429])
  })

  it('locks an unknown e-mail out the same way, so the lock tells nothing about accounts', async () => {
    for (let i = 0; i < 3; i++) expect((await login(app, 'ghost@example.com', 'guess')).status).toBe(401)
    expectError(await login(app, 'ghost@example.com', 'guess'), 429, 'TOO_MANY_ATTEMPTS')
  })
})
