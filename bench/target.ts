// The process under measurement: a bare Fastify JSON route and the real application, side by
// side in one process so that both run under the same conditions. Prints its ports as JSON. The
// bare server also has `POST /floor`, the least a durable send can cost (startStorageFloor).
import { randomBytes, randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { type Database, openDatabase, sqliteConnectionOf } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createCipher } from '../src/lib/secrets.js'
import { freshSqliteUrl } from './services.js'

const ownDatabase = process.env['BENCH_DATABASE_URL'] === undefined
const databaseUrl = process.env['BENCH_DATABASE_URL'] ?? freshSqliteUrl('http')

const bare = Fastify()
const floorDatabaseUrl = freshSqliteUrl('floor')
bare.get('/bare', async () => ({ success: true, data: { hello: 'world' } }))
bare.post('/bare', async (request) => ({ success: true, data: request.body }))
const floorDatabase = await startStorageFloor()
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
  await floorDatabase.close()
  if (ownDatabase)
    fs.rmSync(path.dirname(databaseUrl.slice('sqlite:'.length)), { recursive: true, force: true })
  fs.rmSync(path.dirname(floorDatabaseUrl.slice('sqlite:'.length)), { recursive: true, force: true })
  process.exit(0)
})

/**
 * `POST /floor`: the least a durable send costs on SQLite, for comparison with /messages/send.
 * Fastify parses and validates the same body, and the message row goes into the real schema (its
 * indexes and full-text index) with the rows that arrived with it in one transaction, like the
 * queue writer's group commits, and is answered. Nothing else: no authentication, quota, contact,
 * conversation or event, and no foreign-key checks.
 */
async function startStorageFloor(): Promise<Database> {
  const floorDatabase = openDatabase(floorDatabaseUrl)
  await migrateToLatest(floorDatabase.db)
  const sqlite = sqliteConnectionOf(floorDatabase.db)!
  sqlite.pragma('foreign_keys = OFF')
  const columns = ['uuid', 'tenant_id', 'instance_id', 'conversation_id', 'whatsapp_message_id']
    .concat(['direction', 'chat_jid', 'recipient_number', 'type', 'body', 'status', 'attempts'])
    .concat(['is_placeholder', 'source', 'created_at', 'updated_at'])
  const insert = sqlite.prepare(
    `INSERT INTO messages (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING *`,
  )
  let waiting: { values: unknown[]; resolve(row: unknown): void }[] = []
  const commit = () => {
    const batch = waiting
    waiting = []
    const rows = sqlite.transaction(() => batch.map(({ values }) => insert.get(values)))()
    for (const [i, { resolve }] of batch.entries()) resolve(rows[i])
  }
  let sent = 0
  bare.post(
    '/floor',
    {
      schema: {
        body: {
          type: 'object',
          required: ['instance_id', 'recipient', 'message'],
          properties: {
            instance_id: { type: 'string', format: 'uuid' },
            recipient: { type: 'string', maxLength: 64 },
            message: { type: 'string', minLength: 1, maxLength: 4096 },
          },
        },
      },
    },
    async (request) => {
      const body = request.body as { recipient: string; message: string }
      const phone = body.recipient.replace(/\D/g, '')
      const at = new Date().toISOString()
      const whatsappId = `3EB0${(sent++).toString(16).padStart(8, '0')}${randomBytes(6).toString('hex')}`
      const row = await new Promise((resolve) => {
        const values = [randomUUID(), 1, 1, 1, whatsappId, 'outgoing', `${phone}@s.whatsapp.net`, phone]
        waiting.push({
          values: values.concat(['text', body.message, 'pending', 0, 0, 'api', at, at]),
          resolve,
        })
        if (waiting.length === 1) setImmediate(commit)
      })
      return { success: true, data: row }
    },
  )
  return floorDatabase
}
