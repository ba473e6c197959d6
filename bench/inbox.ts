// The inbox at scale: one tenant with 50,000 conversations and 1,000,000 messages, then the
// latency of the inbox reads, one request at a time (target on SQLite: p95 < 25 ms).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { openDatabase } from '../src/db/database.js'
import { httpRequest } from '../test/helpers/http.js'
import { onPostgres } from './databases.js'
import { startTarget } from './http.js'
import { seedInbox } from './inbox-seed.js'

const messages = Number(process.env['BENCH_INBOX_MESSAGES'] ?? 1_000_000)
const SEED = {
  conversations: Number(process.env['BENCH_INBOX_CONVERSATIONS'] ?? 50_000),
  messages,
  // One long conversation, for paging deep into a history.
  longConversation: Math.min(50_000, Math.floor(messages / 4)),
  tags: 10,
}
const SAMPLES = 200
const TARGET_P95_MS = 25

interface Latency {
  name: string
  p50: number
  p95: number
  errors: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** Sequential requests on one keep-alive connection: the latency of one request, not a throughput. */
async function latency(name: string, url: string, token: string): Promise<Latency> {
  const headers = { authorization: `Bearer ${token}` }
  let errors = 0
  const once = async () => {
    const started = performance.now()
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    if (res.status !== 200) errors++
    return performance.now() - started
  }
  for (let i = 0; i < 20; i++) await once() // warm-up: JIT, statement caches, pools
  const times: number[] = []
  for (let i = 0; i < SAMPLES; i++) times.push(await once())
  times.sort((a, b) => a - b)
  return { name, p50: percentile(times, 50), p95: percentile(times, 95), errors }
}

async function run(label: string, databaseUrl: string): Promise<Latency[]> {
  const target = await startTarget({ BENCH_DATABASE_URL: databaseUrl })
  const database = openDatabase(databaseUrl)
  try {
    const registered = await httpRequest(target.appUrl, 'POST', '/api/v1/auth/register', {
      body: {
        name: 'Bench',
        email: 'inbox@example.com',
        password: 'bench-password-123',
        password_confirmation: 'bench-password-123',
        terms_accepted: true,
      },
    })
    const token = registered.body.data.token as string
    const tenantId = registered.body.data.user.tenant.id as number

    const started = Date.now()
    const seeded = await seedInbox(database.db, tenantId, SEED)
    // Fresh statistics (and, in PostgreSQL, the visibility map), as a database that has been
    // running for a while would have.
    await sql`${sql.raw(database.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE')}`.execute(database.db)
    console.log(
      `\nSeeded ${SEED.conversations.toLocaleString('en')} conversations and ${SEED.messages.toLocaleString('en')} messages on ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )

    const api = `${target.appUrl}/api/v1`
    const history = `${api}/conversations/${seeded.longConversationUuid}/messages`
    // A point 1,000 messages into the long conversation's history.
    const oldest = await database.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select((eb) => eb.fn.min('messages.id').as('id'))
      .where('conversations.uuid', '=', seeded.longConversationUuid)
      .executeTakeFirstOrThrow()
    const deep = Number(oldest.id) + 1000
    const rows = [
      await latency('GET /auth/me (baseline)', `${api}/auth/me`, token),
      await latency('GET /conversations (first page)', `${api}/conversations`, token),
      await latency(
        `GET /conversations?search=${seeded.rareName}`,
        `${api}/conversations?search=${seeded.rareName}`,
        token,
      ),
      await latency(
        'GET /conversations?search=<number part>',
        `${api}/conversations?search=5511910001`,
        token,
      ),
      await latency(
        'GET /conversations?tag_id=…',
        `${api}/conversations?tag_id=${seeded.tagUuids[3]}`,
        token,
      ),
      await latency('GET /conversations/{uuid}/messages', history, token),
      await latency('GET …/messages?before_id= (deep)', `${history}?before_id=${deep}`, token),
      await latency(
        'GET /chat/conversations/{uuid}/messages',
        `${api}/chat/conversations/${seeded.longConversationUuid}/messages`,
        token,
      ),
    ]
    console.log(`\nInbox reads on ${label} (${SAMPLES} sequential requests each)`)
    console.log('endpoint'.padEnd(46), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'errors'.padStart(7))
    for (const row of rows) {
      console.log(
        row.name.padEnd(46),
        row.p50.toFixed(1).padStart(8),
        row.p95.toFixed(1).padStart(8),
        String(row.errors).padStart(7),
      )
    }
    return rows
  } finally {
    await database.close()
    await target.stop()
  }
}

export async function benchInbox(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-bench-inbox-'))
  try {
    const rows = await run('SQLite', `sqlite:${path.join(dir, 'zapini.db')}`)
    const worst = Math.max(...rows.map((r) => r.p95))
    console.log(
      `\nInbox on SQLite: worst p95 ${worst.toFixed(1)} ms (target < ${TARGET_P95_MS} ms): ${worst < TARGET_P95_MS ? 'met' : 'NOT met'}`,
    )
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  await onPostgres('Inbox', async (url) => {
    await run('PostgreSQL', url)
  })
}
