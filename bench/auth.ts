import { httpRequest } from '../test/helpers/http.js'
import { onPostgres } from './databases.js'
import { type Measurement, measure, printTable, startTarget } from './http.js'

async function run(label: string, env: Record<string, string>): Promise<number> {
  const target = await startTarget(env)
  try {
    const password = 'bench-password-123'
    const registered = await httpRequest(target.appUrl, 'POST', '/api/v1/auth/register', {
      body: {
        name: 'Bench',
        email: 'bench@example.com',
        password,
        password_confirmation: password,
        terms_accepted: true,
      },
    })
    const token = registered.body.data.token as string
    const auth = { authorization: `Bearer ${token}` }
    const rows: Measurement[] = []
    const bare = await measure('bare Fastify JSON route', `${target.bareUrl}/bare`)
    rows.push(bare)
    rows.push(
      await measure('GET /auth/me (authenticated)', `${target.appUrl}/api/v1/auth/me`, { headers: auth }),
    )
    rows.push(await measure('GET /auth/sessions', `${target.appUrl}/api/v1/auth/sessions`, { headers: auth }))
    rows.push(await measure('GET /health', `${target.appUrl}/health`))
    printTable(`HTTP on ${label}`, rows, bare)
    return rows[1]!.requestsPerSecond / bare.requestsPerSecond
  } finally {
    await target.stop()
  }
}

/** Bare Fastify JSON route vs. the real endpoints, in one run; target: GET /auth/me ≥ 50 % of bare on SQLite. */
export async function benchAuth(): Promise<void> {
  const ratio = await run('SQLite', {})
  console.log(
    `\nGET /auth/me on SQLite: ${(ratio * 100).toFixed(0)} % of the bare route (target ≥ 50 %): ${ratio >= 0.5 ? 'met' : 'NOT met'}`,
  )
  await onPostgres('GET /auth/me', async (url) => {
    const pgRatio = await run('PostgreSQL', { BENCH_DATABASE_URL: url })
    console.log(`GET /auth/me on PostgreSQL: ${(pgRatio * 100).toFixed(0)} % of the bare route`)
  })
}
