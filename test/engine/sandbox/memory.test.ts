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
