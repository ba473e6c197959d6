import type { EngineEventName, EngineEvents } from '../events.js'
import type { SandboxNetwork } from './network.js'

export interface SandboxAccount {
  phone: string
  jid: string
  lid: string
  name: string
}

export interface SandboxSettings {
  /** Messages to simulated contacts are `delivered` at once; off, only `sent` until a receipt call. */
  autoDeliver: boolean
}

/** What the sandbox's message and group operations need from their engine. */
export interface SandboxSession {
  readonly network: SandboxNetwork
  readonly instanceId: string
  readonly settings: SandboxSettings
  /** The connected account; throws NOT_CONNECTED otherwise. */
  requireConnected(): SandboxAccount
  /**
   * The linked account, connected or not (what reaches it while offline waits for the
   * reconnection); throws NOT_CONNECTED when there is no session on this network.
   */
  requireLinked(): SandboxAccount
  /** Queues an event for this engine's own listeners. */
  receive<K extends EngineEventName>(event: K, data: EngineEvents[K]): void
}

/** What a sandbox message carries for `downloadMedia`. */
export interface SandboxRaw {
  sandbox: true
  data?: Buffer
  url?: string
}

export function isSandboxRaw(raw: unknown): raw is SandboxRaw {
  return typeof raw === 'object' && raw !== null && (raw as SandboxRaw).sandbox === true
}
