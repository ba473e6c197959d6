import { ManualClock } from '../../../src/engine/clock.js'
import { MemoryAuthStateStore } from '../../../src/engine/memory-auth-store.js'
import { SandboxEngine, type SandboxEngineOptions } from '../../../src/engine/sandbox/engine.js'
import { SandboxNetwork } from '../../../src/engine/sandbox/network.js'
import { collect } from '../helpers.js'

export function makeNetwork() {
  const clock = new ManualClock()
  const network = new SandboxNetwork({ clock, idPrefix: 'TEST0001' })
  return { clock, network }
}

/** A sandbox engine on `network`, connected as `phone`, with its events recorded. */
export async function connectedEngine(
  network: SandboxNetwork,
  phone: string,
  options: Partial<SandboxEngineOptions> = {},
) {
  const auth = options.auth ?? new MemoryAuthStateStore()
  const engine = new SandboxEngine({ network, instanceId: `inst-${phone}`, auth, ...options })
  const events = collect(engine)
  await engine.connect()
  await engine.scan(phone)
  await network.settle()
  events.clear()
  return { engine, events, auth }
}
