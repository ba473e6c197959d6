// The process under measurement for `bench/instances.ts`: the real services on SQLite (supervisor,
// sandbox engines, sender, outbox), first with no instance, then with 1,000 connected ones.
// Run with --expose-gc; prints one line of JSON with the figures.

import { benchAccount, benchServices, freshSqliteUrl } from './services.js'

const count = Number(process.env['BENCH_INSTANCES'] ?? 1000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

async function settledMemory(): Promise<{ rss: number; heapUsed: number }> {
  for (let i = 0; i < 4; i++) {
    gc!()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

const { database, services, dispose } = await benchServices(freshSqliteUrl('instances'))
// What the HTTP app starts when it is ready.
services.dispatcher.start()
services.sender.start()
await services.supervisor.start()
const auth = await benchAccount(services, 'bench@example.com')

const baseline = await settledMemory()
const started = Date.now()
for (let first = 0; first < count; first += 25) {
  await Promise.all(
    Array.from({ length: Math.min(25, count - first) }, async (_, offset) => {
      const i = first + offset
      const created = await services.instances.create(auth, { name: `Instance ${i}`, engine: 'sandbox' })
      // The engine shows its QR once its (empty) session loaded; then the phone scans it.
      await services.supervisor.local(created.id)!.connect()
      await services.sandbox.scan(auth, created.uuid, `1555${3_000_001 + i}`)
    }),
  )
}
const connected = async () =>
  Number(
    (
      await database.db
        .selectFrom('instances')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'connected')
        .executeTakeFirstOrThrow()
    ).n,
  )
while ((await connected()) < count) await new Promise((resolve) => setTimeout(resolve, 50))
const connectSeconds = (Date.now() - started) / 1000
const held = services.supervisor.heldInstances()
const live = held.filter((id) => services.supervisor.local(id)?.getState().status === 'connected').length
const after = await settledMemory()

process.stdout.write(`${JSON.stringify({ count, live, connectSeconds, baseline, after })}\n`)
await dispose()
process.exit(0)
