import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createInstanceToken } from '../helpers/builders.js'
import { API, expectError, invalidFields, userRow } from './support.js'

describe('GET and PATCH /auth/me', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  const me = (token: string) => app.request('GET', `${API}/auth/me`, { token })
  const patch = (token: string, body: Record<string, unknown>) =>
    app.request('PATCH', `${API}/auth/me`, { token, body })

  it('answers the user in the documented shape', async () => {
    const account = await app.register({ name: 'Carla Dias', tenant_name: 'Dias & Co' })
    const res = await me(account.token)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      success: true,
      data: {
        user: {
          id: account.user.id,
          uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'Carla Dias',
          email: account.email,
          role: 'admin',
          locale: 'en',
          timezone: 'UTC',
          email_verified: false,
          two_factor_enabled: false,
          tenant: {
            id: account.user.tenant.id,
            uuid: expect.any(String),
            name: 'Dias & Co',
            status: 'active',
          },
          created_at: expect.stringMatching(/Z$/),
        },
      },
    })
    expect(res.text).not.toMatch(/password|secret|recovery/)
  })

  it('updates name, locale and time zone, and stores them', async () => {
    const account = await app.register()
    const res = await patch(account.token, {
      name: '  Dora Reis ',
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      success: true,
      message: 'Profile updated',
      data: { user: { name: 'Dora Reis', locale: 'pt-BR', timezone: 'America/Sao_Paulo' } },
    })
    expect(await userRow(app, account.email)).toMatchObject({
      name: 'Dora Reis',
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    })

    // A partial update leaves the other fields alone.
    const partial = await patch(account.token, { locale: 'es' })
    expect(partial.body.data.user).toMatchObject({
      name: 'Dora Reis',
      locale: 'es',
      timezone: 'America/Sao_Paulo',
    })
    expect((await me(account.token)).body.data.user.locale).toBe('es')
    expect((await patch(account.token, { timezone: 'UTC' })).body.data.user.timezone).toBe('UTC')
  })

  it('refuses an unknown locale, an unknown time zone and an empty name, changing nothing', async () => {
    const account = await app.register({ name: 'Eva' })
    expect(invalidFields(await patch(account.token, { locale: 'fr' }))).toEqual(['locale'])
    expect(invalidFields(await patch(account.token, { timezone: 'Mars/Olympus' }))).toEqual(['timezone'])
    expect(invalidFields(await patch(account.token, { name: '' }))).toEqual(['name'])
    expect(invalidFields(await patch(account.token, { name: '   ' }))).toEqual(['name'])
    // One bad field spoils the whole update.
    expect(invalidFields(await patch(account.token, { name: 'Changed', timezone: 'Nowhere/Else' }))).toEqual([
      'timezone',
    ])
    expect(await userRow(app, account.email)).toMatchObject({ name: 'Eva', locale: 'en', timezone: 'UTC' })
  })

  it('answers 401 without a token', async () => {
    expectError(await app.request('GET', `${API}/auth/me`), 401, 'UNAUTHENTICATED')
    expectError(await app.request('PATCH', `${API}/auth/me`, { body: { name: 'x' } }), 401, 'UNAUTHENTICATED')
  })

  it('answers 403 FORBIDDEN to an instance (sk_) token on every user endpoint', async () => {
    const account = await app.register()
    const { token } = await createInstanceToken(app.database.db, account.user.tenant.id)
    expect(token).toMatch(/^sk_/)
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/auth/me'],
      ['PATCH', '/auth/me', { name: 'Instance' }],
      ['GET', '/auth/sessions'],
      ['DELETE', `/auth/sessions/${account.token.split('|')[0]}`],
      ['POST', '/auth/logout'],
      ['POST', '/auth/logout-all'],
      ['POST', '/auth/refresh'],
      [
        'POST',
        '/auth/password/change',
        { current_password: 'x', password: 'y'.repeat(8), password_confirmation: 'y'.repeat(8) },
      ],
      ['POST', '/auth/two-factor/enable'],
    ]
    for (const [method, path, body] of calls) {
      const res = await app.request(method, `${API}${path}`, body ? { token, body } : { token })
      expect({ path, status: res.status }).toEqual({ path, status: 403 })
      expectError(res, 403, 'FORBIDDEN')
    }
    // Nothing was done with it: the user's session is still there and the name unchanged.
    expect((await app.request('GET', `${API}/auth/me`, { token: account.token })).body.data.user.name).toBe(
      'Test User',
    )
  })
})
