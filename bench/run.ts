// `npm run bench`: every benchmark, each printing its figures beside a baseline measured in the same run.
import pg from 'pg'
import { benchAuth } from './auth.js'

const adminUrl = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function postgresDatabase(): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const name = `zapini_bench_${Date.now().toString(36)}`
    await client.query(`CREATE DATABASE "${name}"`)
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    return url.toString()
  } catch {
    return null
  } finally {
    await client.end().catch(() => {})
  }
}

async function dropDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`)
  await client.end()
}

const sqliteRatio = await benchAuth('SQLite', {})
console.log(
  `\nGET /auth/me on SQLite: ${(sqliteRatio * 100).toFixed(0)} % of the bare route (target ≥ 50 %): ${sqliteRatio >= 0.5 ? 'met' : 'NOT met'}`,
)

const pgUrl = await postgresDatabase()
if (pgUrl) {
  try {
    const ratio = await benchAuth('PostgreSQL', { BENCH_DATABASE_URL: pgUrl })
    console.log(`GET /auth/me on PostgreSQL: ${(ratio * 100).toFixed(0)} % of the bare route`)
  } finally {
    await dropDatabase(pgUrl)
  }
} else {
  console.log('\nPostgreSQL: skipped (no server at BENCH_POSTGRES_URL)')
}
