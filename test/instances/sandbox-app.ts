import { randomBytes } from 'node:crypto'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { TimerClock } from '../../src/engine/clock.js'
import { type SandboxEngine, SandboxNetwork } from '../../src/engine/sandbox/index.js'
import type { EngineFactory } from '../../src/instances/supervisor.js'
import type { Clock } from '../../src/lib/clock.js'
import { createCipher } from '../../src/lib/secrets.js'
import { defaultEngineFactory } from '../../src/services.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'
import { type HttpResponse, httpRequest, type RequestOptions } from '../helpers/http.js'
import { adminUrl } from '../helpers/pg-url.js'

const silent = pino({ level: 'silent' })

/**
 * The real application, built as `startTestApp` builds it, that also keeps hold of the sandbox
 * engines it makes (by instance uuid), so that a test can act as the instance's own phone.
 */
export async function startSandboxApp(
  options: {
    env?: Record<string, string>
    clock?: Clock
    /** The simulated network's time (message timestamps, QR expiry); the system's by default. */
    networkClock?: TimerClock
  } = {},
) {
  const testDb = await createTestDatabase()
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost',
    DATABASE_URL: testDb.url,
    APP_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MAX: '0',
    ...options.env,
  })
  const network = new SandboxNetwork(options.networkClock ? { clock: options.networkClock } : {})
  const engines = new Map<string, SandboxEngine>()
  const make = defaultEngineFactory(network, silent)
  const engineFactory: EngineFactory = (instance, auth) => {
    const engine = make(instance, auth)
    if (engine.kind === 'sandbox') engines.set(instance.uuid, engine as SandboxEngine)
    return engine
  }
  const app = await buildApp({
    config,
    database: testDb.database,
    cipher: createCipher(config.appKey!),
    logger: silent,
    engineFactory,
    sandboxNetwork: network,
    ...(options.clock ? { clock: options.clock } : {}),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const request = (method: string, path: string, opts?: RequestOptions): Promise<HttpResponse> =>
    httpRequest(url, method, path, opts)
  let users = 0
  return {
    database: testDb.database,
    db: testDb.database.db,
    engines,
    network,
    request,
    /** A new tenant and its admin: the admin's token and its tenant's id. */
    async register(): Promise<{ token: string; tenantId: number }> {
      const password = 'correct horse battery'
      const res = await request('POST', '/api/v1/auth/register', {
        body: {
          name: 'Owner',
          email: `owner${process.pid}-${++users}-${Date.now()}@example.com`,
          password,
          password_confirmation: password,
          terms_accepted: true,
        },
      })
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`)
      return { token: res.body.data.token, tenantId: res.body.data.user.tenant.id }
    },
    async close() {
      await app.close()
      await disposeQuietly(testDb)
    },
  }
}

export type SandboxApp = Awaited<ReturnType<typeof startSandboxApp>>

/**
 * Disposes of a test database once its connections are really gone. A pg pool reports itself
 * ended while its connections are still closing; a forced drop at that moment kills them, and
 * the pool, which has no error listener, throws the 57P01 error as an unhandled one.
 */
export async function disposeQuietly(testDb: TestDatabase): Promise<void> {
  await testDb.database.close()
  if (TEST_DB === 'postgres') {
    const name = decodeURIComponent(new URL(testDb.url).pathname.slice(1))
    const admin = new pg.Client({ connectionString: adminUrl() })
    await admin.connect()
    try {
      for (let i = 0; i < 200; i++) {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
          [name],
        )
        if (rows[0]!.n === 0) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    } finally {
      await admin.end()
    }
  }
  await testDb.dispose()
}
