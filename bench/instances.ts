import { spawn } from 'node:child_process'
import readline from 'node:readline'

interface Figures {
  count: number
  live: number
  connectSeconds: number
  baseline: { rss: number; heapUsed: number }
  after: { rss: number; heapUsed: number }
}

const MB = 1024 * 1024
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

/** Runs the measured process (its own, so that nothing else in it counts) and reads its figures. */
async function measure(count: number): Promise<Figures> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/instances-target.ts'], {
    env: { ...process.env, BENCH_INSTANCES: String(count) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`bench process exited with ${code}`)))
  })
  return JSON.parse(line) as Figures
}

/**
 * 1,000 connected sandbox instances in one process, through the real services on SQLite: memory
 * per instance against the same process before it had any; target < 1 MB each.
 */
export async function benchInstances(): Promise<void> {
  const figures = await measure(1_000)
  const rss = (figures.after.rss - figures.baseline.rss) / figures.count
  const heap = (figures.after.heapUsed - figures.baseline.heapUsed) / figures.count
  const rows = [
    ['', 'RSS', 'heap used'],
    ['baseline (no instance)', mb(figures.baseline.rss), mb(figures.baseline.heapUsed)],
    [`${figures.count.toLocaleString('en')} connected`, mb(figures.after.rss), mb(figures.after.heapUsed)],
    ['per connected instance', kb(rss), kb(heap)],
  ]
  console.log(`\nSandbox instances on SQLite, one process (${figures.live} live connections)`)
  for (const [label, a, b] of rows) console.log(`${label!.padEnd(26)}${a!.padStart(12)}${b!.padStart(14)}`)
  console.log(`connected in ${figures.connectSeconds.toFixed(1)} s`)
  const met = rss < MB && heap < MB
  console.log(
    `\nPer connected instance: ${kb(rss)} RSS, ${kb(heap)} heap (target < 1 MB each): ${met ? 'met' : 'NOT met'}`,
  )
}
