import type { MediaInfo, MessageType } from '../events.js'

export type ReachedType = MessageType | 'edit' | 'revoke'

/** One outgoing message the simulated WhatsApp server accepted. */
export interface ReachedRecord {
  /** Order of acceptance on this network, from 1. */
  seq: number
  /** The sandbox engine's `instanceId`. */
  instanceId: string
  /** The sender's phone. */
  from: string
  /** The chat it went to. */
  to: string
  /** WhatsApp message id. */
  id: string
  type: ReachedType
  text?: string
  caption?: string
  media?: MediaInfo
  /** The message a reaction, edit or revoke is about. */
  targetId?: string
  emoji?: string
  at: number
}

/** A message the simulated server accepted, as a store keeps it. */
export type AcceptedSend = Omit<ReachedRecord, 'seq'>

/**
 * Where a sandbox network keeps what reached WhatsApp beyond the life of the process (a
 * database table, say), so that a resend of an id accepted before a restart is recognized as one.
 */
export interface SandboxRecordStore {
  /** The message `from` sent under `id`, if the server accepted one. */
  find(from: string, id: string): Promise<AcceptedSend | undefined>
  /** Keeps an accepted message; resolves only once it is durable. */
  add(send: AcceptedSend): Promise<void>
}

export interface ReachedFilter {
  instanceId?: string
  from?: string
  to?: string
  id?: string
}

/**
 * What reached WhatsApp, in order, so tests can prove that nothing was sent twice. Bounded: past
 * `limit` entries the oldest are forgotten (a long-running sandbox must not grow forever).
 */
export class ReachedLog {
  private entries: ReachedRecord[] = []
  private seq = 0

  constructor(private readonly limit: number) {}

  add(entry: Omit<ReachedRecord, 'seq'>): ReachedRecord {
    const record = { ...entry, seq: ++this.seq }
    this.entries.push(record)
    // Trimming in batches keeps `add` amortized O(1).
    if (this.entries.length > this.limit + Math.ceil(this.limit / 10)) {
      this.entries = this.entries.slice(this.entries.length - this.limit)
    }
    return record
  }

  list(filter: ReachedFilter = {}): ReachedRecord[] {
    const kept = this.entries.length > this.limit ? this.entries.slice(-this.limit) : this.entries
    return kept.filter(
      (entry) =>
        (filter.instanceId === undefined || entry.instanceId === filter.instanceId) &&
        (filter.from === undefined || entry.from === filter.from) &&
        (filter.to === undefined || entry.to === filter.to) &&
        (filter.id === undefined || entry.id === filter.id),
    )
  }

  /** Total accepted since the network started, including forgotten entries. */
  get total(): number {
    return this.seq
  }
}
