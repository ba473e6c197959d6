import { httpRequest } from '../test/helpers/http.js'
import { onPostgres } from './databases.js'
import { measureRounds, printTable, startTarget } from './http.js'

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
    const rows = await measureRounds(
      [
        { name: 'bare Fastify JSON route', url: `${target.bareUrl}/bare` },
        {
          name: 'GET /auth/me (authenticated)',
          url: `${target.appUrl}/api/v1/auth/me`,
          options: { headers: auth },
        },
        {
          name: 'GET /auth/sessions',
          url: `${target.appUrl}/api/v1/auth/sessions`,
          options: { headers: auth },
        },
        { name: 'GET /health', url: `${target.appUrl}/health` },
      ],
      5,
    )
    const bare = rows[0]!
    printTable(`HTTP on ${label}`, rows, bare)
    return rows[1]!.requestsPerSecond / bare.requestsPerSecond
  } finally {
    await target.stop()
  }
}

/** Bare Fastify JSON route vs. the real endpoints, in one run (the median of five rounds each); target: GET /auth/me ≥ 50 % of bare on SQLite. */
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
