import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import { type Database, openDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrate.js'
import { resolveAppKey } from './lib/app-key.js'
import { createCipher } from './lib/secrets.js'

export interface RunningServer {
  app: FastifyInstance
  database: Database
  url: string
  stop(): Promise<void>
}

/** Opens the database, applies migrations, and serves the API. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const database = openDatabase(config.databaseUrl)
  const applied = await migrateToLatest(database.db)
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied')
  const cipher = createCipher(resolveAppKey(config.appKey, config.dataDir))
  const app = await buildApp({ config, database, cipher, logger })
  const url = await app.listen({ host: config.host, port: config.port })
  let stopping: Promise<void> | null = null
  return {
    app,
    database,
    url,
    stop() {
      stopping ??= (async () => {
        await app.close()
        await database.close()
      })()
      return stopping
    },
  }
}
