import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import type { HttpResponse } from '../helpers/http.js'

export const API = '/api/v1'

/** The documented error envelope, with its status and code. */
export function expectError(res: HttpResponse, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { success: false, error: { code, message: expect.any(String), details: expect.any(Object) } },
  })
}

/** The fields that failed validation, from a 422 answer. */
export function invalidFields(res: HttpResponse): string[] {
  expectError(res, 422, 'VALIDATION_ERROR')
  return Object.keys(res.body.error.details)
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

export function login(app: TestApp, email: string, password: string, extra: Record<string, unknown> = {}) {
  return app.request('POST', `${API}/auth/login`, { body: { email, password, ...extra } })
}

/** A fresh token for an existing user (another session). */
export async function loginToken(app: TestApp, email: string, password: string, deviceName?: string) {
  const res = await login(app, email, password, deviceName ? { device_name: deviceName } : {})
  expect(res.status).toBe(200)
  return res.body.data.token as string
}

/** The status GET /auth/me answers for a token: 200 while it works, 401 once it doesn't. */
export async function meStatus(app: TestApp, token: string): Promise<number> {
  return (await app.request('GET', `${API}/auth/me`, { token })).status
}

export async function userRow(app: TestApp, email: string) {
  return app.database.db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email.toLowerCase())
    .executeTakeFirstOrThrow()
}
