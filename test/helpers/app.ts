import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { type AppDeps, buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { type Database, openDatabase } from '../../src/db/database.js'
import type { Clock } from '../../src/lib/clock.js'
import { createCipher } from '../../src/lib/secrets.js'
import type { Mailer } from '../../src/mail/mailer.js'
import { createTestDatabase } from './database.js'
import { type HttpResponse, httpRequest, type RequestOptions } from './http.js'

export interface TestAppOptions {
  /** Settings as environment variables, on top of the test defaults. */
  env?: Record<string, string>
  clock?: Clock
  mailer?: Mailer
  /**
   * Test-only infrastructure for buildApp: a sandbox network the test also joins, the media fetch
   * policy, an engine factory (e.g. Baileys sockets pointed at the WhatsApp simulator).
   */
  deps?: Pick<AppDeps, 'sandboxNetwork' | 'mediaFetch' | 'engineFactory'>
  /** An already migrated database to use instead of a fresh one (two apps on one database); left in place on close. */
  databaseUrl?: string
  /** Close only the connections on close, leaving the data for an app started on `databaseUrl` (a restart). */
  keepDatabase?: boolean
}

export interface TestApp {
  url: string
  port: number
  database: Database
  databaseUrl: string
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>
  /** Registers a new tenant with its admin; answers the token and the user. */
  register(
    overrides?: Partial<{ name: string; email: string; password: string; tenant_name: string }>,
  ): Promise<{
    token: string
    user: { id: number; email: string; tenant: { id: number } }
    password: string
    email: string
  }>
  close(): Promise<void>
  /** Deletes the database this app created and kept (`keepDatabase`), once no app uses it. */
  dropDatabase(): Promise<void>
}

let emails = 0

/** The real application on a random port, with a fresh database, as production builds it. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const testDb = options.databaseUrl
    ? { url: options.databaseUrl, ...closing(openDatabase(options.databaseUrl, { poolSize: 5 })) }
    : await createTestDatabase()
  // Files (media) go beside the database, never into the checkout's ./data; a restart on the
  // same database finds them again.
  const dataDir =
    options.env?.['DATA_DIR'] ??
    path.join(
      os.tmpdir(),
      `zapini-test-data-${createHash('sha256').update(testDb.url).digest('hex').slice(0, 16)}`,
    )
  const ownsDataDir = options.env?.['DATA_DIR'] === undefined && options.databaseUrl === undefined
  const removeDataDir = () => {
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const config = loadConfig({
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    PUBLIC_URL: 'http://localhost',
    DATABASE_URL: testDb.url,
    DATA_DIR: dataDir,
    APP_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MAX: '0',
    ...options.env,
  })
  const app = await buildApp({
    config,
    database: testDb.database,
    cipher: createCipher(config.appKey!),
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.mailer ? { mailer: options.mailer } : {}),
    ...options.deps,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const url = `http://127.0.0.1:${port}`

  const request = (method: string, path: string, opts?: RequestOptions) =>
    httpRequest(url, method, path, opts)
  return {
    url,
    port,
    database: testDb.database,
    databaseUrl: testDb.url,
    request,
    async register(overrides = {}) {
      const email = overrides.email ?? `user${process.pid}-${++emails}-${Date.now()}@example.com`
      const password = overrides.password ?? 'correct horse battery'
      const res = await request('POST', '/api/v1/auth/register', {
        body: {
          name: overrides.name ?? 'Test User',
          email,
          password,
          password_confirmation: password,
          terms_accepted: true,
          ...(overrides.tenant_name ? { tenant_name: overrides.tenant_name } : {}),
        },
      })
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`)
      return { token: res.body.data.token, user: res.body.data.user, password, email }
    },
    async close() {
      await app.close()
      await (options.keepDatabase ? testDb.database.close() : testDb.dispose())
      if (!options.keepDatabase) removeDataDir()
    },
    async dropDatabase() {
      await testDb.dispose()
      removeDataDir()
    },
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2026-01-15T10:00:00Z')) {
  let now = start.getTime()
  return {
    now: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000
    },
    set(date: Date) {
      now = date.getTime()
    },
  }
}

function closing(database: Database) {
  return { database, dispose: () => database.close() }
}
