import { createHash, randomBytes } from 'node:crypto'
import { setImmediate } from 'node:timers'
import { systemTimerClock, type TimerClock } from '../clock.js'
import type { EngineEventName, EngineEvents } from '../events.js'
import { LID_SERVER } from '../jid.js'
import { LruMap } from '../lru.js'
import { SandboxGroups } from './groups.js'
import {
  type AcceptedSend,
  type ReachedFilter,
  ReachedLog,
  type ReachedRecord,
  type SandboxRecordStore,
} from './record.js'

/** A sandbox engine as the network sees it. */
export interface SandboxPeer {
  /** Queues `event` for the engine's listeners. */
  receive<K extends EngineEventName>(event: K, data: EngineEvents[K]): void
}

export interface SandboxNetworkOptions {
  clock?: TimerClock
  /** Entries kept in the record of what reached WhatsApp, and in the message index. */
  recordLimit?: number
  /** Events kept for an offline sandbox phone until it reconnects. */
  mailboxLimit?: number
  /** Media bytes kept per offline phone; beyond, queued media arrives without its data. */
  mailboxMediaBytes?: number
  /** Middle part of every message id; random by default (ids must stay unique across restarts). */
  idPrefix?: string
  /** Fetches the bytes of media given by URL to `inbound`, for `downloadMedia`. */
  fetchMedia?: (url: string) => Promise<Buffer>
  /**
   * Keeps the record of what reached WhatsApp beyond this process; without one, resends are
   * recognized while the message is still in the (bounded) memory of this network.
   */
  store?: SandboxRecordStore
  onTaskError?: (error: unknown) => void
}

/** Where a message went, remembered so receipts and reactions can name its chat. */
export interface IndexedMessage {
  from: string
  to: string
  outgoing: boolean
  /** When the server accepted it (outgoing messages). */
  at?: number
}

/** The server's answer to an outgoing message: when it took it and where, and whether it had it already. */
export interface Acceptance {
  at: number
  to: string
  /** The sender had sent this id before: nothing was recorded or delivered again. */
  repeated: boolean
}

/** Hands something to one engine; `queued` when it waited in a mailbox while the engine was offline. */
export type Delivery = (peer: SandboxPeer, queued: boolean) => void

interface MailItem {
  deliver: Delivery
  onDelivered?: () => void
  bytes: number
}

/**
 * A simulated WhatsApp network, shared by the sandbox engines of one process. Events travel
 * through one FIFO queue drained on the next turn of the event loop: delivery is asynchronous
 * like the real thing, yet its order is deterministic. Nothing runs while nothing is queued.
 */
export class SandboxNetwork {
  readonly clock: TimerClock
  readonly groups: SandboxGroups
  readonly fetchMedia?: (url: string) => Promise<Buffer>
  private readonly sessions = new Map<string, Set<SandboxPeer>>()
  private readonly accounts = new Set<string>()
  private readonly mailboxes = new Map<string, MailItem[]>()
  private readonly log: ReachedLog
  private readonly index: LruMap<string, IndexedMessage>
  private readonly mailboxLimit: number
  private readonly mailboxMediaBytes: number
  private readonly idPrefix: string
  private readonly onTaskError: (error: unknown) => void
  private readonly store?: SandboxRecordStore
  /** Acceptances still being written, by sender and id, so that a concurrent resend waits for them. */
  private readonly accepting = new Map<string, Promise<Acceptance>>()
  private queue: (() => void)[] = []
  private scheduled = false
  private idleWaiters: (() => void)[] = []
  private messageCounter = 0
  private phoneCounter = 100_000

  constructor(options: SandboxNetworkOptions = {}) {
    this.clock = options.clock ?? systemTimerClock
    this.log = new ReachedLog(options.recordLimit ?? 10_000)
    this.index = new LruMap(options.recordLimit ?? 10_000)
    this.mailboxLimit = options.mailboxLimit ?? 1_000
    this.mailboxMediaBytes = options.mailboxMediaBytes ?? 16 * 1024 * 1024
    this.idPrefix = (options.idPrefix ?? randomBytes(4).toString('hex')).toUpperCase()
    this.groups = new SandboxGroups(this.idPrefix)
    this.fetchMedia = options.fetchMedia
    this.store = options.store
    this.onTaskError = options.onTaskError ?? (() => {})
  }

  // ── delivery ────────────────────────────────────────────────────────────

  /** Runs `task` after everything queued before it, on a later turn of the event loop. */
  enqueue(task: () => void): void {
    this.queue.push(task)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  /** Resolves once every queued event has been delivered. */
  settle(): Promise<void> {
    if (!this.scheduled && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private drain(): void {
    // Tasks may queue more tasks; they run in this same pass, in order.
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      try {
        task()
      } catch (error) {
        this.onTaskError(error)
      }
    }
    this.scheduled = false
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  attach(phone: string, peer: SandboxPeer): void {
    this.accounts.add(phone)
    let peers = this.sessions.get(phone)
    if (!peers) {
      peers = new Set()
      this.sessions.set(phone, peers)
    }
    peers.add(peer)
    const mail = this.mailboxes.get(phone)
    if (!mail) return
    this.mailboxes.delete(phone)
    for (const item of mail) {
      item.deliver(peer, true)
      item.onDelivered?.()
    }
  }

  detach(phone: string, peer: SandboxPeer): void {
    const peers = this.sessions.get(phone)
    if (!peers) return
    peers.delete(peer)
    if (peers.size === 0) this.sessions.delete(phone)
  }

  /** Whether `phone` has been linked by a sandbox engine of this network. */
  isAccount(phone: string): boolean {
    return this.accounts.has(phone)
  }

  isOnline(phone: string): boolean {
    return this.sessions.has(phone)
  }

  /** Forgets a logged-out phone, so that nothing queues for it any more. */
  forget(phone: string): void {
    if (this.sessions.has(phone)) return
    this.accounts.delete(phone)
    this.mailboxes.delete(phone)
  }

  /**
   * Hands something to every engine connected as `phone`; for a sandbox phone that is offline it
   * waits in a mailbox until it reconnects. Answers `none` for phones no sandbox engine holds.
   */
  deliver(
    phone: string,
    deliver: Delivery,
    options: { onDelivered?: () => void; bytes?: number } = {},
  ): 'delivered' | 'queued' | 'none' {
    const peers = this.sessions.get(phone)
    if (peers) {
      for (const peer of peers) deliver(peer, false)
      options.onDelivered?.()
      return 'delivered'
    }
    if (!this.accounts.has(phone)) return 'none'
    let mail = this.mailboxes.get(phone)
    if (!mail) {
      mail = []
      this.mailboxes.set(phone, mail)
    }
    const held = mail.reduce((sum, item) => sum + item.bytes, 0)
    const bytes = options.bytes ?? 0
    if (held + bytes > this.mailboxMediaBytes) return 'none'
    mail.push({ deliver, onDelivered: options.onDelivered, bytes })
    if (mail.length > this.mailboxLimit) mail.shift()
    return 'queued'
  }

  // ── record and index ────────────────────────────────────────────────────

  /**
   * The server takes an outgoing message, once per sender and id: a resend of an id it already
   * accepted from that sender (a retry, a restarted server) answers that first acceptance and is
   * neither recorded nor delivered again. Resolves once the record is durable (in the store, when
   * there is one). `fresh` says the id was just generated here, so that no earlier send can hold it.
   */
  async accept(send: AcceptedSend, fresh = false): Promise<Acceptance> {
    const key = `${send.from}/${send.id}`
    const pending = this.accepting.get(key)
    if (pending) return { ...(await pending), repeated: true }
    const known = fresh ? undefined : this.findInMemory(send.from, send.id)
    if (known) return { ...known, repeated: true }
    if (!this.store) return this.record(send)
    const work = (async () => {
      const stored = fresh ? undefined : await this.store!.find(send.from, send.id)
      if (stored) return { at: stored.at, to: stored.to, repeated: true }
      await this.store!.add(send)
      return this.record(send)
    })()
    this.accepting.set(key, work)
    try {
      return await work
    } finally {
      this.accepting.delete(key)
    }
  }

  /** Where and when the server accepted message `id` from `from`, if it did. */
  async findSent(from: string, id: string): Promise<{ at: number; to: string } | undefined> {
    const known = this.findInMemory(from, id)
    if (known || !this.store) return known
    const stored = await this.store.find(from, id)
    return stored && { at: stored.at, to: stored.to }
  }

  private findInMemory(from: string, id: string): { at: number; to: string } | undefined {
    const known = this.index.peek(id)
    return known?.outgoing && known.from === from && known.at !== undefined
      ? { at: known.at, to: known.to }
      : undefined
  }

  private record(send: AcceptedSend): Acceptance {
    this.index.set(send.id, { from: send.from, to: send.to, outgoing: true, at: send.at })
    this.log.add(send)
    return { at: send.at, to: send.to, repeated: false }
  }

  /** Everything that reached WhatsApp (bounded by `recordLimit`), oldest first. */
  reached(filter?: ReachedFilter): ReachedRecord[] {
    return this.log.list(filter)
  }

  /** Ids that reached WhatsApp more than once: a crash-safe sender leaves this empty. */
  duplicateIds(filter?: ReachedFilter): string[] {
    const seen = new Set<string>()
    const twice = new Set<string>()
    for (const { id } of this.log.list(filter)) (seen.has(id) ? twice : seen).add(id)
    return [...twice]
  }

  get reachedTotal(): number {
    return this.log.total
  }

  remember(id: string, message: IndexedMessage): void {
    this.index.set(id, message)
  }

  lookup(id: string): IndexedMessage | undefined {
    return this.index.peek(id)
  }

  // ── identities ──────────────────────────────────────────────────────────

  nextMessageId(): string {
    this.messageCounter++
    return `3EB0${this.idPrefix}${this.messageCounter.toString(16).toUpperCase().padStart(8, '0')}`
  }

  /** A made-up phone number, unused on this network and never ending in 0000. */
  nextPhone(): string {
    for (;;) {
      this.phoneCounter++
      const phone = `1555${String(this.phoneCounter).padStart(7, '0')}`
      if (!phone.endsWith('0000') && !this.accounts.has(phone)) return phone
    }
  }

  /** The stable LID of a phone on this simulated network. */
  lidFor(phone: string): string {
    const digest = createHash('sha256').update(`lid:${phone}`).digest()
    const user = (digest.readBigUInt64BE(0) % 10n ** 14n) + 10n ** 14n
    return `${user}@${LID_SERVER}`
  }

  qrFor(label: string, attempt: number): string {
    const part = (tag: string) =>
      createHash('sha256').update(`${this.idPrefix}:${label}:${attempt}:${tag}`).digest('base64')
    return `2@${part('ref').slice(0, 32)},${part('noise')},${part('identity')},${part('adv')},sandbox`
  }
}

export function isOnWhatsApp(phone: string): boolean {
  return !phone.endsWith('0000')
}
