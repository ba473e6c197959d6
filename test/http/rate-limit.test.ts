import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createForwardingSeal, FORWARDED_HEADER } from '../../src/http/forward.js'
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

describe('rate limiting of requests forwarded between processes', () => {
  const appKey = randomBytes(32).toString('base64')
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({
      env: { APP_KEY: appKey, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '60' },
    })
  })
  afterAll(() => app.close())

  const me = (mark?: string) =>
    app.request('GET', '/api/v1/auth/me', mark ? { headers: { [FORWARDED_HEADER]: mark } } : {})

  it('counts a request once, where it arrived: one forwarded by a process of this server passes', async () => {
    const seal = createForwardingSeal(appKey)
    for (let i = 0; i < 5; i++) {
      const forwarded = await me(seal.seal('203.0.113.7', 'GET', '/api/v1/auth/me'))
      expect(forwarded.status).toBe(401)
      expect(forwarded.headers['x-ratelimit-remaining']).toBeUndefined()
    }
    // This client's own allowance is untouched.
    expect((await me()).headers['x-ratelimit-remaining']).toBe('2')
  })

  it('counts requests whose mark is forged, stale, made for another request or with another key', async () => {
    const other = await startTestApp({
      env: { APP_KEY: appKey, RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_SECONDS: '60' },
    })
    try {
      const marks = [
        '1',
        `t=${Math.floor(Date.now() / 1000)};ip=203.0.113.7;sig=${'A'.repeat(43)}`,
        createForwardingSeal(appKey, () => Date.now() - 120_000).seal(
          '203.0.113.7',
          'GET',
          '/api/v1/auth/me',
        ),
        createForwardingSeal(appKey).seal('203.0.113.7', 'GET', '/api/v1/auth/sessions'),
        createForwardingSeal(randomBytes(32).toString('base64')).seal(
          '203.0.113.7',
          'GET',
          '/api/v1/auth/me',
        ),
      ]
      const remaining = []
      for (const mark of marks) {
        const res = await other.request('GET', '/api/v1/auth/me', { headers: { [FORWARDED_HEADER]: mark } })
        remaining.push(res.status === 429 ? 'limited' : res.headers['x-ratelimit-remaining'])
      }
      expect(remaining).toEqual(['3', '2', '1', '0', 'limited'])
    } finally {
      await other.close()
    }
  })
})
