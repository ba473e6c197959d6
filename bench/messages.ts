import type { SandboxEngine } from '../src/engine/sandbox/index.js'
import { httpRequest } from '../test/helpers/http.js'
import { onPostgres } from './databases.js'
import { measureRounds, type Probe, printTable, startTarget } from './http.js'
import { benchAccount, benchServices, freshSqliteUrl } from './services.js'

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** POST /messages/send against the bare route, in one run (target ≥ 40 % on SQLite). */
async function benchSend(
  label: string,
  env: Record<string, string>,
  withFloor: boolean,
): Promise<{ send: number; floor: number | null }> {
  const target = await startTarget(env)
  try {
    const password = 'bench-password-123'
    const registered = await httpRequest(target.appUrl, 'POST', '/api/v1/auth/register', {
      body: {
        name: 'Bench',
        email: 'send@example.com',
        password,
        password_confirmation: password,
        terms_accepted: true,
      },
    })
    const token = registered.body.data.token as string
    const instance = await httpRequest(target.appUrl, 'POST', '/api/v1/instances', {
      token,
      body: { name: 'bench', engine: 'sandbox', daily_limit: 100_000 },
    })
    const body = JSON.stringify({
      instance_id: instance.body.data.uuid,
      recipient: '+15551234567',
      message: 'Hello from the bench',
    })
    const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body }
    const probes: Probe[] = [
      { name: 'bare Fastify JSON route', url: `${target.bareUrl}/bare` },
      // Fastify's own cost of a POST with the same body (parsing, a bigger reply).
      { name: 'bare Fastify POST, same body', url: `${target.bareUrl}/bare`, options: post },
      // What storing the row alone allows: the ceiling of any durable send on this machine.
      ...(withFloor
        ? [{ name: 'storage floor (SQLite row only)', url: `${target.bareUrl}/floor`, options: post }]
        : []),
      {
        name: 'POST /messages/send',
        url: `${target.appUrl}/api/v1/messages/send`,
        options: { ...post, headers: { ...post.headers, authorization: `Bearer ${token}` } },
      },
    ]
    const measured = await measureRounds(probes)
    const [bare] = measured
    const send = measured.at(-1)!
    printTable(`Queueing messages on ${label} (median of 3 rounds)`, measured, bare!)
    return {
      send: send.requestsPerSecond / bare!.requestsPerSecond,
      floor: withFloor ? measured[2]!.requestsPerSecond / bare!.requestsPerSecond : null,
    }
  } finally {
    await target.stop()
  }
}

/** Incoming messages through the sandbox engine into the database, through the real services. */
async function benchIngestion(label: string, databaseUrl: string, count: number): Promise<number> {
  const { database, services, dispose } = await benchServices(databaseUrl)
  services.dispatcher.start()
  await services.supervisor.start()
  try {
    const auth = await benchAccount(services, 'ingest@example.com')
    const instance = await services.instances.create(auth, { name: 'ingest', engine: 'sandbox' })
    const engine = services.supervisor.local(instance.id) as SandboxEngine
    await waitFor(async () => engine.getState().qr !== undefined)
    await engine.scan('15550009999')
    await waitFor(async () => (await services.instances.find(auth, instance.uuid)).status === 'connected')

    // One message at a time, as the contacts write: `inbound` resolves once the engine has
    // delivered it (as a socket hands over what it decoded), not once it is stored, so this loop
    // does not wait for the database. The clock stops when all the rows are stored.
    const started = performance.now()
    for (let i = 0; i < count; i++) {
      await engine.inbound({
        from: `1555100${String(i % 500).padStart(4, '0')}`,
        message: `message number ${i}`,
        pushName: `Contact ${i % 500}`,
      })
    }
    const stored = async () => {
      const row = await database.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('direction', '=', 'incoming')
        .executeTakeFirstOrThrow()
      return Number(row.n) >= count
    }
    await waitFor(stored)
    const seconds = (performance.now() - started) / 1000
    const rate = count / seconds
    console.log(
      `\nIngestion on ${label}: ${count} incoming messages in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} messages/s`,
    )
    return rate
  } finally {
    await services.supervisor.stop()
    await services.dispatcher.stop()
    await dispose()
  }
}

export async function benchMessages(): Promise<void> {
  await benchSendSuite()
  await benchIngestionSuite()
}

/** Only the sending half of `messages` (`npm run bench -- send`), on both databases. */
export async function benchSendSuite(): Promise<void> {
  const { send: ratio, floor } = await benchSend('SQLite', {}, true)
  console.log(
    `\nPOST /messages/send on SQLite: ${(ratio * 100).toFixed(0)} % of the bare route (target ≥ 40 %): ${ratio >= 0.4 ? 'met' : 'NOT met'}`,
  )
  console.log(
    `Storing the row alone reaches ${(floor! * 100).toFixed(0)} % of the bare route on this machine.`,
  )
  await onPostgres('POST /messages/send', async (url) => {
    const { send: pgRatio } = await benchSend('PostgreSQL', { BENCH_DATABASE_URL: url }, false)
    console.log(`POST /messages/send on PostgreSQL: ${(pgRatio * 100).toFixed(0)} % of the bare route`)
  })
}

/** Only the ingestion half of `messages` (`npm run bench -- ingestion`), on both databases. */
export async function benchIngestionSuite(): Promise<void> {
  const rate = await benchIngestion('SQLite', freshSqliteUrl('ingestion'), 10_000)
  console.log(
    `Ingestion on SQLite: ${rate.toFixed(0)} messages/s (target ≥ 3,000/s): ${rate >= 3000 ? 'met' : 'NOT met'}`,
  )
  await onPostgres('Ingestion', async (url) => {
    await benchIngestion('PostgreSQL', url, 5_000)
  })
}
