// The real services without HTTP, on a fresh database, for the benchmarks that drive them directly.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { loadConfig } from '../src/config.js'
import { type Database, openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import type { UserAuth } from '../src/http/auth-context.js'
import { createCipher } from '../src/lib/secrets.js'
import { type AppDeps, createServices } from '../src/services.js'

export type Services = ReturnType<typeof createServices>

/** A SQLite database in a new temporary folder (named after the bench). */
export function freshSqliteUrl(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `zapini-bench-${name}-`))
  return `sqlite:${path.join(dir, 'zapini.db')}`
}

/** Migrates the database and builds the services on it, with the given settings on top of the bench's. */
export async function benchServices(
  databaseUrl: string,
  options: { env?: Record<string, string>; deps?: Pick<AppDeps, 'engineFactory'> } = {},
): Promise<{ database: Database; services: Services; dispose(): Promise<void> }> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    APP_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    PUBLIC_URL: 'http://localhost',
    ...options.env,
  })
  const database = openDatabase(databaseUrl)
  await migrateToLatest(database.db)
  const services = createServices({
    config,
    database,
    cipher: createCipher(config.appKey!),
    logger: pino({ level: 'warn' }),
    ...options.deps,
  })
  return {
    database,
    services,
    async dispose() {
      await database.close().catch(() => {})
      // A bench's SQLite database lives in a temporary folder of its own.
      if (databaseUrl.startsWith('sqlite:')) {
        fs.rmSync(path.dirname(databaseUrl.slice('sqlite:'.length)), { recursive: true, force: true })
      }
    },
  }
}

/** A tenant with its admin, and the admin's auth context for calling the services. */
export async function benchAccount(services: Services, email: string): Promise<UserAuth> {
  const user = await services.auth.createAccount({
    name: 'Bench',
    email,
    password: 'bench-password-123',
    role: 'admin',
  })
  return {
    kind: 'user',
    tenantId: user.tenant_id,
    tokenId: 0,
    instanceId: null,
    userId: user.id,
    userName: user.name,
    role: 'admin',
  }
}
