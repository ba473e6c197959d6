// `npm run bench -- baileys`: memory per connected Baileys instance. Two processes: this one runs
// the WhatsApp simulator and its phones; a child runs Zapini's real services on a temporary SQLite
// database with 200 `baileys` instances linked (by QR) and connected to it, and measures itself.
// BENCH_BAILEYS_INSTANCES sets another count. Each link costs Baileys its prekeys (generated,
// stored, uploaded), so the run takes minutes.
import { type ChildProcess, fork } from 'node:child_process'
import pino from 'pino'
import { SandboxNetwork } from '../src/engine/sandbox/index.js'
import { createEngineFactory } from '../src/services.js'
import { benchAccount, benchServices, freshSqliteUrl } from './services.js'

const COUNT = Number(process.env['BENCH_BAILEYS_INSTANCES'] ?? 200)
/** Instances linking at the same time. */
const BATCH = 10
const ROLE = 'BENCH_BAILEYS_ROLE'

interface Memory {
  rss: number
  heapUsed: number
}

/** What the measured process reports. */
interface Figures {
  count: number
  live: number
  connectSeconds: number
  /** Connections that ended after they opened, by reason (they reconnect by themselves). */
  dropped: string
  /** The process ready, before Baileys is loaded. */
  ready: Memory
  /** Baileys and the engine loaded, no instance yet. */
  loaded: Memory
  after: Memory
}

type FromZapini = { type: 'qr'; index: number; qr: string } | { type: 'done'; figures: Figures }
type ToZapini = { type: 'scanned'; index: number } | { type: 'failed'; index: number; error: string }

const MB = 1024 * 1024
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`
const size = (bytes: number) =>
  Math.abs(bytes) < MB ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / MB).toFixed(2)} MB`

/**
 * 200 `baileys` instances connected to the WhatsApp simulator in one Zapini process (the real
 * services, SQLite): RSS and heap per connected instance against the same process before them.
 */
export async function benchBaileys(): Promise<void> {
  const { startSimulator } = await import('../test/wa-sim/index.js')
  const sim = await startSimulator()
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: {
      ...process.env,
      [ROLE]: 'zapini',
      BENCH_BAILEYS_URL: sim.url,
      BENCH_BAILEYS_ROOT: sim.rootPublicKey.toString('base64'),
      BENCH_BAILEYS_INSTANCES: String(COUNT),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    const figures = await new Promise<Figures>((resolve, reject) => {
      child.on('message', (message: FromZapini) => {
        if (message.type === 'done') return resolve(message.figures)
        const phone = sim.createPhone({ pushName: `Bench ${message.index}` })
        phone.scanQr(message.qr).then(
          () => send(child, { type: 'scanned', index: message.index }),
          (error: unknown) => send(child, { type: 'failed', index: message.index, error: String(error) }),
        )
      })
      child.once('exit', (code) => reject(new Error(`the measured process exited with ${code}`)))
    })
    const logins = new Set(sim.logins.items.map((login) => login.device)).size
    print(figures, logins)
    if (sim.errors.length) console.log(`simulator errors: ${sim.errors.length}`)
    // The measured process closes its connections and deletes its database, then exits.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())])
  } finally {
    if (child.exitCode === null) child.kill()
    await sim.close()
  }
}

function send(child: ChildProcess, message: ToZapini): void {
  child.send(message)
}

function print(figures: Figures, devices: number): void {
  const perInstance = (from: Memory) => ({
    rss: (figures.after.rss - from.rss) / figures.count,
    heap: (figures.after.heapUsed - from.heapUsed) / figures.count,
  })
  const own = perInstance(figures.loaded)
  const all = perInstance(figures.ready)
  const rows = [
    ['', 'RSS', 'heap used'],
    ['baseline: process ready', mb(figures.ready.rss), mb(figures.ready.heapUsed)],
    ['baseline: Baileys loaded', mb(figures.loaded.rss), mb(figures.loaded.heapUsed)],
    [`${figures.count} connected`, mb(figures.after.rss), mb(figures.after.heapUsed)],
    ['per instance (vs loaded)', size(own.rss), size(own.heap)],
    ['per instance (vs ready)', size(all.rss), size(all.heap)],
  ]
  console.log(
    `\nBaileys instances connected to the WhatsApp simulator, one Zapini process on SQLite (${figures.live} live connections, ${devices} devices logged in on the simulator)`,
  )
  for (const [label, a, b] of rows) console.log(`${label!.padEnd(28)}${a!.padStart(12)}${b!.padStart(14)}`)
  console.log(
    `linked and connected in ${figures.connectSeconds.toFixed(1)} s; dropped and reconnected: ${figures.dropped}`,
  )
  console.log(
    `\nPer connected Baileys instance: ${size(own.rss)} RSS, ${size(own.heap)} heap (${size(all.rss)} RSS counting the Baileys code itself)`,
  )
}

/** Memory after garbage collection has run a few times. */
async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

/** The measured process: Zapini's services with `count` Baileys instances linked by the parent's phones. */
async function runZapini(): Promise<void> {
  const count = Number(process.env['BENCH_BAILEYS_INSTANCES'])
  const wsUrl = process.env['BENCH_BAILEYS_URL']!
  const report = (message: FromZapini) => process.send!(message)
  // What the parent's phone made of each QR: undefined when linked, else why not.
  const scanned = new Map<number, (error: string | undefined) => void>()
  process.on('message', (message: ToZapini) => {
    scanned.get(message.index)?.(message.type === 'failed' ? message.error : undefined)
  })
  process.on('disconnect', () => process.exit(1))

  const { database, services, dispose } = await benchServices(freshSqliteUrl('baileys'), {
    deps: {
      engineFactory: createEngineFactory({
        network: new SandboxNetwork(),
        // Baileys logs every pairing restart (515) as an error; the figures say whether all connected.
        logger: pino({ level: 'fatal' }),
        baileysSocket: { waWebSocketUrl: wsUrl, connectTimeoutMs: 30_000 },
      }),
    },
  })
  // What the HTTP app starts when it is ready.
  services.dispatcher.start()
  services.sender.start()
  await services.supervisor.start()
  const auth = await benchAccount(services, 'bench@example.com')
  const rowOf = (id: number) =>
    database.db
      .selectFrom('instances')
      .select(['status', 'qr_code_text'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  const until = async <T>(check: () => Promise<T | undefined>, what: string): Promise<T> => {
    const deadline = Date.now() + 300_000
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const ready = await settledMemory()
  // Trusting the simulator's root key loads Baileys, as the first instance would.
  const { trustSimulator } = await import('../test/wa-sim/client.js')
  trustSimulator({ rootPublicKey: Buffer.from(process.env['BENCH_BAILEYS_ROOT']!, 'base64') })
  await import('../src/engine/baileys/index.js')
  const loaded = await settledMemory()

  const started = Date.now()
  let connected = 0
  for (let first = 0; first < count; first += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - first) }, async (_, offset) => {
        const index = first + offset
        const created = await services.instances.create(auth, { name: `Baileys ${index}`, engine: 'baileys' })
        // On a loaded machine a link may time out: then the next QR is scanned by another phone.
        let shown: string | null = null
        for (let attempt = 1; ; attempt++) {
          const row = await until(async () => {
            const current = await rowOf(created.id)
            const fresh = current.qr_code_text !== null && current.qr_code_text !== shown
            return current.status === 'connected' || fresh ? current : undefined
          }, `instance ${index} to show a QR or connect`)
          if (row.status === 'connected') break
          if (attempt > 5) throw new Error(`instance ${index} could not be linked`)
          shown = row.qr_code_text!
          const outcome = new Promise<string | undefined>((resolve) => scanned.set(index, resolve))
          report({ type: 'qr', index, qr: shown })
          const error = await outcome
          if (error) console.error(`instance ${index}: the link failed (${error}); trying again`)
        }
        connected += 1
      }),
    )
    console.error(`${connected}/${count} connected after ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
  const connectSeconds = (Date.now() - started) / 1000
  // Connections a loaded machine dropped come back (the supervisor's backoff); measure with all up.
  const liveCount = () =>
    services.supervisor
      .heldInstances()
      .filter((id) => services.supervisor.local(id)?.getState().status === 'connected').length
  await until(
    async () => (liveCount() === count ? true : undefined),
    `all ${count} instances connected`,
  ).catch((error: unknown) => console.error(String(error)))
  // Let the logins' follow-up work (prekey uploads, initial queries) finish before measuring.
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const live = liveCount()
  const drops = await database.db
    .selectFrom('events')
    .select('payload')
    .where('type', '=', 'instance.disconnected')
    .execute()
  const after = await settledMemory()
  const reasons = new Map<string, number>()
  for (const { payload } of drops) {
    const data = (typeof payload === 'string' ? JSON.parse(payload) : payload) as { data: { reason: string } }
    reasons.set(data.data.reason, (reasons.get(data.data.reason) ?? 0) + 1)
  }
  const dropped = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none'
  report({ type: 'done', figures: { count, live, connectSeconds, dropped, ready, loaded, after } })
  await services.supervisor.stop().catch(() => {})
  await dispose()
  process.exit(0)
}

if (process.env[ROLE] === 'zapini') await runZapini()
