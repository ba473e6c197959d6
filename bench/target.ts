// The process under measurement: a bare Fastify JSON route and the real application, side by
// side in one process so that both run under the same conditions. Prints its ports as JSON.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createCipher } from '../src/lib/secrets.js'
import { freshSqliteUrl } from './services.js'

const ownDatabase = process.env['BENCH_DATABASE_URL'] === undefined
const databaseUrl = process.env['BENCH_DATABASE_URL'] ?? freshSqliteUrl('http')

const bare = Fastify()
bare.get('/bare', async () => ({ success: true, data: { hello: 'world' } }))
bare.post('/bare', async (request) => ({ success: true, data: request.body }))
await bare.listen({ host: '127.0.0.1', port: 0 })

const config = loadConfig({
  DATABASE_URL: databaseUrl,
  APP_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MAX: '0',
  PUBLIC_URL: 'http://localhost',
})
const database = openDatabase(databaseUrl)
await migrateToLatest(database.db)
const app = await buildApp({
  config,
  database,
  cipher: createCipher(config.appKey!),
  logger: pino({ level: 'warn' }),
})
await app.listen({ host: '127.0.0.1', port: 0 })

const port = (server: { server: { address(): unknown } }) =>
  (server.server.address() as { port: number }).port
process.stdout.write(`${JSON.stringify({ bare: port(bare), app: port(app) })}\n`)
process.on('SIGTERM', async () => {
  await app.close()
  await bare.close()
  await database.close()
  if (ownDatabase)
    fs.rmSync(path.dirname(databaseUrl.slice('sqlite:'.length)), { recursive: true, force: true })
  process.exit(0)
})
