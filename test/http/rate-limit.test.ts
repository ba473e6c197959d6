import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'

describe('rate limiting', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60' } })
  })
  afterAll(() => app.close())

  it('limits requests per IP with headers, then answers 429 RATE_LIMIT_EXCEEDED', async () => {
    const first = await app.request('GET', '/api/v1/auth/me')
    expect(first.headers['x-ratelimit-limit']).toBe('5')
    expect(first.headers['x-ratelimit-remaining']).toBe('4')
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
    for (let i = 0; i < 4; i++) await app.request('GET', '/api/v1/auth/me')
    const limited = await app.request('GET', '/api/v1/auth/me')
    expect(limited.status).toBe(429)
    expect(limited.body.success).toBe(false)
    expect(limited.body.error.code).toBe('RATE_LIMIT_EXCEEDED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['x-ratelimit-remaining']).toBe('0')
  })

  it('exempts /health', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await app.request('GET', '/health')
      expect(res.status).toBe(200)
    }
  })
})

describe('rate limiting per token', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ env: { RATE_LIMIT_MAX: '1000', RATE_LIMIT_TOKEN_MAX: '3' } })
  })
  afterAll(() => app.close())

  it('limits one token without limiting another', async () => {
    const a = await app.register()
    const b = await app.register()
    for (let i = 0; i < 3; i++)
      expect((await app.request('GET', '/api/v1/auth/me', { token: a.token })).status).toBe(200)
    expect((await app.request('GET', '/api/v1/auth/me', { token: a.token })).status).toBe(429)
    expect((await app.request('GET', '/api/v1/auth/me', { token: b.token })).status).toBe(200)
  })
})
