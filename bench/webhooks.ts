// Webhook delivery under load: events appended to the outbox at a steady rate (each in its own
// transaction, as the ingestion does), delivered through the real dispatcher and deliverer to a
// receiver on loopback that runs in a worker thread (its own event loop, like a separate server).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { appendEvent } from '../src/events/outbox.js'
import { benchAccount, benchServices, freshSqliteUrl } from './services.js'

// BENCH_WEBHOOK_RATE tries other rates, to see where delivery stops keeping up.
const RATE = Number(process.env['BENCH_WEBHOOK_RATE'] ?? 2000)
const SECONDS = 5

// The receiver: answers 200 at once and keeps, per request, how long after the event it arrived.
const RECEIVER = `
const http = require('node:http')
const { parentPort } = require('node:worker_threads')
const latencies = []
const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const now = performance.timeOrigin + performance.now()
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    latencies.push(now - body.data.sent_at)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('OK')
  })
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
parentPort.on('message', (m) => { if (m === 'report') parentPort.postMessage({ latencies }); if (m === 'reset') latencies.length = 0 })
`

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN
}

export async function benchWebhooks(): Promise<void> {
  const receiver = new Worker(RECEIVER, { eval: true })
  const port = await new Promise<number>((resolve) =>
    receiver.once('message', (m: { port: number }) => resolve(m.port)),
  )
  const report = () =>
    new Promise<number[]>((resolve) => {
      receiver.once('message', (m: { latencies: number[] }) => resolve(m.latencies))
      receiver.postMessage('report')
    })

  const { database, services, dispose } = await benchServices(freshSqliteUrl('webhooks'), {
    env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' },
  })
  const { db } = database
  try {
    const auth = await benchAccount(services, 'webhooks@example.com')
    const instance = await services.instances.create(auth, { name: 'bench', engine: 'sandbox' })
    await services.webhooks.put(auth, instance.uuid, {
      webhook_url: `http://127.0.0.1:${port}/hook`,
      webhook_secret: 'bench-secret-123',
      events: ['message.received'],
    })
    services.dispatcher.start()
    services.deliverer.start()

    /** Offers events at RATE for `seconds`, and waits until the receiver has them all. */
    let appended = 0
    const offer = async (seconds: number) => {
      receiver.postMessage('reset')
      const total = RATE * seconds
      const first = appended
      const started = performance.now()
      while (appended - first < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE))
        while (appended - first < due) {
          appended++
          const data = {
            n: appended,
            content: 'Hello from the bench',
            sent_at: performance.timeOrigin + performance.now(),
          }
          await db.transaction().execute((trx) =>
            appendEvent(trx, services.clock, {
              tenantId: auth.tenantId,
              instanceId: instance.id,
              instanceUuid: instance.uuid,
              type: 'message.received',
              data,
            }),
          )
          services.dispatcher.notify()
        }
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      const deadline = Date.now() + 60_000
      let latencies = await report()
      while (latencies.length < total && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
        latencies = await report()
      }
      return { total, latencies, elapsed: (performance.now() - started) / 1000 }
    }
    // A second of warm-up (compiled code paths, connections to the receiver), not measured.
    await offer(1)
    const lag = monitorEventLoopDelay({ resolution: 5 })
    lag.enable()
    const { total, latencies, elapsed } = await offer(SECONDS)
    const sorted = [...latencies].sort((a, b) => a - b)
    const rate = latencies.length / elapsed
    // Kept up: everything delivered, the last within a moment of the last event offered.
    const keptUp = latencies.length === total && elapsed - SECONDS < 0.25
    const p50 = percentile(sorted, 50)
    const p99 = percentile(sorted, 99)
    console.log(
      `\nWebhooks on SQLite: ${total} events offered at ${RATE}/s; ${latencies.length} delivered in ${elapsed.toFixed(2)} s`,
    )
    console.log(
      `  deliveries/s: ${rate.toFixed(0)}, the last ${((elapsed - SECONDS) * 1000).toFixed(0)} ms after the last event ` +
        `(target: keep up with ${RATE}/s): ${keptUp ? 'met' : 'NOT met'}`,
    )
    console.log(
      `  event loop delay: p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms (high on a machine busy with other work)`,
    )
    console.log(
      `  event → delivery: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms (target p99 < 100 ms): ${p99 < 100 ? 'met' : 'NOT met'}`,
    )
  } finally {
    await services.dispatcher.stop()
    await services.deliverer.stop()
    await services.supervisor.stop()
    await dispose()
    await receiver.terminate()
  }
}
