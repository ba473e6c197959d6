import pg from 'pg'

const adminUrl = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A fresh, empty PostgreSQL database for one benchmark, or null when no server answers. */
export async function createPostgresDatabase(): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const name = `zapini_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
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

export async function dropPostgresDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`)
  await client.end()
}

/** Runs `work` on PostgreSQL in a database made for it and dropped after; skipped without a server. */
export async function onPostgres(label: string, work: (url: string) => Promise<void>): Promise<void> {
  const url = await createPostgresDatabase()
  if (!url) {
    console.log(`\n${label} on PostgreSQL: skipped (no server at BENCH_POSTGRES_URL)`)
    return
  }
  try {
    await work(url)
  } finally {
    await dropPostgresDatabase(url)
  }
}
