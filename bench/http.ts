import { type ChildProcess, spawn } from 'node:child_process'
import readline from 'node:readline'
import autocannon from 'autocannon'

export interface Measurement {
  name: string
  requestsPerSecond: number
  p99Ms: number
  errors: number
}

export interface Target {
  bareUrl: string
  appUrl: string
  stop(): Promise<void>
}

/** Starts bench/target.ts in its own process (the server must not share the load generator's CPU time). */
export async function startTarget(env: Record<string, string> = {}): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/target.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`bench target exited with ${code}`)))
  })
  const ports = JSON.parse(line) as { bare: number; app: number }
  return {
    bareUrl: `http://127.0.0.1:${ports.bare}`,
    appUrl: `http://127.0.0.1:${ports.app}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

export async function measure(
  name: string,
  url: string,
  options: {
    method?: 'GET' | 'POST'
    headers?: Record<string, string>
    body?: string
    seconds?: number
  } = {},
): Promise<Measurement> {
  const run = (duration: number) =>
    autocannon({
      url,
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body ? { body: options.body } : {}),
      connections: 20,
      pipelining: 1,
      duration,
    })
  await run(1) // warm-up: JIT, caches, connection pools
  const result = await run(options.seconds ?? 5)
  return {
    name,
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

export interface Probe {
  name: string
  url: string
  options?: Parameters<typeof measure>[2]
}

/**
 * Measures the probes one after another, `rounds` times over, and keeps each one's median round:
 * a baseline and the endpoints compared with it then share the machine's good and bad moments.
 */
export async function measureRounds(probes: Probe[], rounds = 3): Promise<Measurement[]> {
  const runs: Measurement[][] = probes.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [i, probe] of probes.entries()) {
      runs[i]!.push(await measure(probe.name, probe.url, { seconds: 3, ...probe.options }))
    }
  }
  return runs.map((measured) => {
    const sorted = [...measured].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
    return sorted[Math.floor(sorted.length / 2)]!
  })
}

export function printTable(title: string, rows: Measurement[], baseline: Measurement): void {
  console.log(`\n${title}`)
  console.log(
    'endpoint'.padEnd(40),
    'req/s'.padStart(10),
    'p99 ms'.padStart(8),
    'ratio'.padStart(8),
    'errors'.padStart(7),
  )
  for (const row of rows) {
    const ratio = row.requestsPerSecond / baseline.requestsPerSecond
    console.log(
      row.name.padEnd(40),
      row.requestsPerSecond.toFixed(0).padStart(10),
      row.p99Ms.toFixed(1).padStart(8),
      `${(ratio * 100).toFixed(0)} %`.padStart(8),
      String(row.errors).padStart(7),
    )
  }
}
