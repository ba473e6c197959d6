import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'

describe('metrics, OpenAPI and docs', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  it('counts requests and latency by route pattern and status in Prometheus text', async () => {
    const user = await app.register()
    await app.request('GET', '/api/v1/auth/me', { token: user.token })
    await app.request('GET', '/api/v1/auth/me')
    await app.request('DELETE', '/api/v1/auth/sessions/999999', { token: user.token })
    const res = await app.request('GET', '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/auth\/me",status_code="200"\} 1/,
    )
    expect(res.text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/auth\/me",status_code="401"\} 1/,
    )
    expect(res.text).toContain('route="/api/v1/auth/sessions/:id",status_code="404"')
    expect(res.text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/auth\/me"/,
    )
    expect(res.text).not.toContain('sessions/999999')
  })

  it('describes every route in OpenAPI 3.1 with request, response and error schemas', async () => {
    const res = await app.request('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = res.body
    expect(doc.openapi).toBe('3.1.0')
    const paths = Object.keys(doc.paths)
    for (const path of [
      '/health',
      '/api/v1/auth/login',
      '/api/v1/auth/register',
      '/api/v1/auth/me',
      '/api/v1/auth/sessions/{id}',
      '/api/v1/auth/two-factor/enable',
      '/api/v1/auth/password/reset',
    ]) {
      expect(paths, path).toContain(path)
    }
    const login = doc.paths['/api/v1/auth/login'].post
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['email', 'password'])
    expect(login.responses['200']).toBeDefined()
    expect(login.responses['401'].description).toContain('INVALID_CREDENTIALS')
    expect(login.responses['422'].description).toContain('VALIDATION_ERROR')
    expect(login.security).toEqual([])
    expect(doc.paths['/api/v1/auth/me'].get.security).toBeUndefined()
    expect(doc.security).toEqual([{ bearer: [] }])
    // Every operation documents at least one success and one error response.
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const codes = Object.keys(op.responses ?? {})
        expect(
          codes.some((c) => c.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true)
        if (path !== '/health')
          expect(
            codes.some((c) => c.startsWith('4')),
            `${method} ${path}`,
          ).toBe(true)
      }
    }
  })

  it('serves an interactive reference at /docs that works offline', async () => {
    const page = await app.request('GET', '/docs/', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(page.text).toContain('/api/v1/openapi.json')
    const script = /src="([^"]+\.js)"/.exec(page.text)?.[1]
    expect(script).toBeDefined()
    const js = await app.request('GET', new URL(script!, `${app.url}/docs/`).pathname)
    expect(js.status).toBe(200)
    expect(js.text.length).toBeGreaterThan(100_000)
  })
})
