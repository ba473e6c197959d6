import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'

describe('API conventions', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  it('answers /health without authentication', async () => {
    const res = await app.request('GET', '/health')
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('ok')
    expect(typeof res.body.uptime).toBe('number')
    expect(res.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  it('sends the security headers and CORS on every answer: success, error, unknown route', async () => {
    const responses = [
      await app.request('GET', '/health'),
      await app.request('GET', '/api/v1/auth/me'),
      await app.request('GET', '/api/v1/nope'),
    ]
    expect(responses.map((res) => res.status)).toEqual([200, 401, 404])
    for (const res of responses) {
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'x-xss-protection': '0',
        'access-control-allow-origin': '*',
      })
      expect(res.headers['content-security-policy']).toBeUndefined()
      expect(res.headers['x-powered-by']).toBeUndefined()
    }
  })

  it('answers a CORS preflight without authentication', async () => {
    const res = await app.request('OPTIONS', '/api/v1/auth/me', {
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-methods']).toContain('PATCH')
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type')
  })

  it('answers 404 NOT_FOUND in the error envelope for an unknown route', async () => {
    const res = await app.request('GET', '/api/v1/nope')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({
      success: false,
      error: { code: 'NOT_FOUND', message: expect.any(String), details: {} },
    })
  })

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const res = await app.request('POST', '/api/v1/auth/login', {
      rawBody: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('INVALID_JSON')
  })

  it('answers 422 VALIDATION_ERROR with per-field details', async () => {
    const res = await app.request('POST', '/api/v1/auth/register', {
      body: { email: 'not-an-email', password: 'short', password_confirmation: 'short' },
    })
    expect(res.status).toBe(422)
    expect(res.body.success).toBe(false)
    expect(res.body.error.code).toBe('VALIDATION_ERROR')
    expect(res.body.error.details.name).toEqual(['The name field is required.'])
    expect(res.body.error.details.email[0]).toMatch(/valid email/)
    expect(res.body.error.details.password[0]).toMatch(/at least 8/)
    expect(res.body.error.details.terms_accepted).toBeDefined()
  })
})

describe('unexpected errors', () => {
  it('answers 500 INTERNAL_ERROR without internals when storage fails', async () => {
    const app = await startTestApp()
    try {
      const user = await app.register()
      await sql`ALTER TABLE user_tokens RENAME TO user_tokens_gone`.execute(app.database.db)
      const res = await app.request('GET', '/api/v1/auth/me', { token: user.token })
      expect(res.status).toBe(500)
      expect(res.body).toEqual({
        success: false,
        error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: {} },
      })
      expect(res.text).not.toMatch(/user_tokens|at .*\.ts|stack/i)
    } finally {
      await app.close()
    }
  })
})
