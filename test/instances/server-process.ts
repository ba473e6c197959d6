import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { expect } from 'vitest'
import { httpRequest, type RequestOptions } from '../helpers/http.js'
import { eventually } from '../helpers/wait.js'

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One line of a server's log where an instance's (sandbox) connection opened or closed. */
export interface Holding {
  at: number
  instance: number
  open: boolean
}

/** `zapini serve` as its own process, as production runs it, with its log kept line by line. */
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

  request(method: string, path: string, options?: RequestOptions) {
    return httpRequest(this.base, method, `/api/v1${path}`, options)
  }

  /** Whether this process holds the instance's connection, and in which state (from its engine). */
  async engineState(token: string, uuid: string): Promise<string | null> {
    const res = await this.request('GET', `/instances/${uuid}/status?realtime=true`, { token })
    expect(res.status).toBe(200)
    return res.body.data.realtime.checked ? res.body.data.realtime.engine_status : null
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill(signal)
    await exited
  }

  get log(): string {
    return this.output
  }
}
