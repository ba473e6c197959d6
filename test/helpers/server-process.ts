import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { expect } from 'vitest'
import { httpRequest, type RequestOptions } from './http.js'
import { eventually } from './wait.js'

/**
 * Ports for spawned servers are taken below Linux's ephemeral range (32768 and up), which every
 * `listen(0)` and outgoing connection of the parallel test files draws from: a port answered here
 * stays free for the seconds a child process takes to start.
 */
const SPAWN_PORTS = { from: 20_000, to: 32_000 }

/** A port on loopback that nothing listens on (at the moment it is answered). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = SPAWN_PORTS.from + Math.floor(Math.random() * (SPAWN_PORTS.to - SPAWN_PORTS.from))
    const server = net.createServer()
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (free) {
      await new Promise((resolve) => server.close(resolve))
      return port
    }
  }
}

/**
 * The environment of a spawned server: PATH, its database and a fresh APP_KEY, then `settings`.
 * Nothing else of the test's own environment reaches the process.
 */
export function serverEnv(databaseUrl: string, settings: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    DATABASE_URL: databaseUrl,
    APP_KEY: randomBytes(32).toString('base64'),
    ...settings,
  }
}

/** One line of a server's log where an instance's (sandbox) connection opened or closed. */
export interface Holding {
  at: number
  instance: number
  open: boolean
}

/**
 * `zapini serve` as its own process, as production runs it, on `port` of loopback (PORT, HOST and
 * PUBLIC_URL are set over `env`). Its last output is kept for error messages, and its log is read
 * line by line for the sandbox connections it opens and closes (`holdings`; at LOG_LEVEL info).
 */
export class ServerProcess {
  readonly base: string
  readonly holdings: Holding[] = []
  /** When the process was seen to end. */
  exitedAt: number | null = null
  private readonly child: ChildProcess
  private output = ''
  private partial = ''

  constructor(
    readonly name: string,
    env: NodeJS.ProcessEnv,
    port: number,
  ) {
    this.base = `http://127.0.0.1:${port}`
    this.child = spawn(process.execPath, ['bin/zapini.js', 'serve'], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: this.base },
    })
    this.child.once('exit', () => {
      this.exitedAt = Date.now()
    })
    this.child.stdout?.on('data', (chunk: Buffer) => this.read(chunk.toString()))
    this.child.stderr?.on('data', (chunk: Buffer) => this.keep(chunk.toString()))
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-20_000)
  }

  private read(text: string): void {
    this.keep(text)
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) {
      let entry: { time?: number; msg?: string; instance?: number }
      try {
        entry = JSON.parse(line)
      } catch {
        continue
      }
      if (entry.msg !== 'sandbox connection opened' && entry.msg !== 'sandbox connection closed') continue
      this.holdings.push({
        at: entry.time!,
        instance: entry.instance!,
        open: entry.msg === 'sandbox connection opened',
      })
    }
  }

  /** Waits until /health answers 200; fails at once, with the output, if the process ended. */
  async ready(): Promise<void> {
    await eventually(
      async () => {
        if (this.child.exitCode !== null) throw new Error(`${this.name} exited:\n${this.output}`)
        expect((await httpRequest(this.base, 'GET', '/health')).status).toBe(200)
      },
      30_000,
      100,
    )
  }

  /** A request to the API: `path` is below /api/v1. */
  request(method: string, path: string, options?: RequestOptions) {
    return httpRequest(this.base, method, `/api/v1${path}`, options)
  }

  /** Registers a new tenant with its admin (201 or an error). */
  async register(user: { name: string; email: string; password: string }) {
    const res = await this.request('POST', '/auth/register', {
      body: { ...user, password_confirmation: user.password, terms_accepted: true },
    })
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`)
    return { token: res.body.data.token as string, tenantId: res.body.data.user.tenant.id as number }
  }

  /** Whether this process holds the instance's connection, and in which state (from its engine). */
  async engineState(token: string, uuid: string): Promise<string | null> {
    const res = await this.request('GET', `/instances/${uuid}/status?realtime=true`, { token })
    expect(res.status).toBe(200)
    return res.body.data.realtime.checked ? res.body.data.realtime.engine_status : null
  }

  /**
   * Ends the process (SIGKILL is a crash: nothing gets to clean up) and answers its exit code,
   * null when a signal ended it.
   */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.child.kill(signal)
    return exited
  }

  get log(): string {
    return this.output
  }
}
