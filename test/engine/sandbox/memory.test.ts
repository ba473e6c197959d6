import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/engine/clock.js'
import { SandboxEngine } from '../../../src/engine/sandbox/engine.js'
import { SandboxNetwork } from '../../../src/engine/sandbox/network.js'

const gc = (globalThis as { gc?: () => void }).gc

describe('sandbox network: footprint', () => {
  it('holds 1,000 connected instances in well under 1 MB each, with no timers', async () => {
    const clock = new ManualClock()
    const network = new SandboxNetwork({ clock })
    gc?.()
    const before = process.memoryUsage().heapUsed
    const engines: SandboxEngine[] = []
    for (let i = 0; i < 1_000; i++) {
      const engine = new SandboxEngine({ network, instanceId: `instance-${i}` })
      engine.on('message', () => {})
      engine.on('connection', () => {})
      await engine.connect()
      await engine.scan(`55119${String(i).padStart(8, '1')}`)
      engines.push(engine)
    }
    await network.settle()
    gc?.()
    const perInstance = (process.memoryUsage().heapUsed - before) / engines.length
    expect(engines.every((engine) => engine.getState().status === 'connected')).toBe(true)
    expect(clock.pendingTimers()).toBe(0)
    expect(perInstance).toBeLessThan(1024 * 1024)
    // Far below the target: a connected sandbox instance is a few objects, not a socket.
    expect(perInstance).toBeLessThan(64 * 1024)
  })
})

describe('sandbox network: bounded memory', () => {
  it('forgets the oldest records past the limit, and caps mailboxes', async () => {
    const clock = new ManualClock()
    const network = new SandboxNetwork({ clock, recordLimit: 10, mailboxLimit: 3 })
    const a = new SandboxEngine({ network })
    const b = new SandboxEngine({ network })
    await a.connect()
    await a.scan('5511900000001')
    await b.connect()
    await b.scan('5511900000002')
    await b.disconnect()
    const ids: string[] = []
    for (let i = 0; i < 25; i++) ids.push((await a.sendText({ to: '5511900000002', text: `m${i}` })).id)
    expect(network.reachedTotal).toBe(25)
    expect(network.reached().map((r) => r.id)).toEqual(ids.slice(-10))
    const received: string[] = []
    b.on('message', (m) => {
      received.push(m.id)
    })
    await b.connect()
    await network.settle()
    expect(received).toEqual(ids.slice(-3))
  })
})
