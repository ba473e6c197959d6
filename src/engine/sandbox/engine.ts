import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { TimerHandle } from '../clock.js'
import { EngineError } from '../errors.js'
import type { ConnectionEvent, EngineEventName, EngineEvents } from '../events.js'
import { normalizePhone, phoneJid } from '../jid.js'
import { MemoryAuthStateStore } from '../memory-auth-store.js'
import type { AuthStateStore, ConnectionStatus, DownloadableMessage, Engine, EngineState } from '../types.js'
import * as controls from './controls.js'
import { isOnWhatsApp, type SandboxNetwork, type SandboxPeer } from './network.js'
import { SandboxOperations } from './operations.js'
import { isSandboxRaw, type SandboxAccount, type SandboxSession, type SandboxSettings } from './session.js'

export interface SandboxEngineOptions {
  network: SandboxNetwork
  /** Names this engine in the record of what reached WhatsApp (the instance's uuid, say). */
  instanceId?: string
  /** Where the session (the linked number) is kept; in memory by default. */
  auth?: AuthStateStore
  settings?: Partial<SandboxSettings>
  /** The push name this instance shows to others. */
  name?: string
  /** QR rotation: the first code lives `firstTtlMs`, the next ones `ttlMs`, at most `maxCount` codes. */
  qr?: { firstTtlMs?: number; ttlMs?: number; maxCount?: number }
  /** How long a dropped connection stays down before the engine reconnects. */
  reconnectDelayMs?: number
  /** Who reconnects after `drop()`: the engine itself (default), or the supervisor. */
  dropReconnect?: 'self' | 'supervisor'
  /** Engine failures at error; the connection opening and closing at info. */
  logger?: Pick<Logger, 'error' | 'info'>
}

let engineCounter = 0

/**
 * An instance on the simulated network: the `Engine` interface plus the sandbox controls
 * (`scan`, `inbound`, `receipt`, `reaction`, `drop`). An idle or connected engine holds no timer;
 * only a shown QR or a pending reconnection does.
 */
export class SandboxEngine extends SandboxOperations implements Engine, SandboxPeer {
  readonly kind = 'sandbox' as const
  readonly network: SandboxNetwork
  readonly instanceId: string
  readonly settings: SandboxSettings
  private readonly auth: AuthStateStore
  private readonly options: SandboxEngineOptions
  private status: EngineState['status'] = 'idle'
  private account?: SandboxAccount
  private accountLoaded = false
  private qr?: { qr: string; expiresAt: number }
  private qrAttempt = 0
  private timer?: TimerHandle
  private connectedAt?: number
  private online = false
  private pairingPhone?: string

  constructor(options: SandboxEngineOptions) {
    super((error, event) =>
      options.logger?.error({ err: error, event, instanceId: this.instanceId }, 'engine listener failed'),
    )
    this.options = options
    this.network = options.network
    this.instanceId = options.instanceId ?? `sandbox-${++engineCounter}`
    this.auth = options.auth ?? new MemoryAuthStateStore()
    this.settings = { autoDeliver: true, ...options.settings }
  }

  protected session(): SandboxSession {
    return this
  }

  // ── events ──────────────────────────────────────────────────────────────

  receive<K extends EngineEventName>(event: K, data: EngineEvents[K]): void {
    this.network.enqueue(() => this.emitter.emit(event, data))
  }

  getState(): EngineState {
    const account = this.status === 'connected' ? this.account : undefined
    return {
      status: this.status,
      phone: account?.phone,
      jid: account?.jid,
      lid: account?.lid,
      name: account?.name,
      platform: account ? 'sandbox' : undefined,
      qr: this.qr && { ...this.qr },
      connectedAt: account ? this.connectedAt : undefined,
    }
  }

  configure(settings: Partial<SandboxSettings>): void {
    Object.assign(this.settings, settings)
  }

  requireConnected(): SandboxAccount {
    if (this.status !== 'connected' || !this.account) {
      throw new EngineError('NOT_CONNECTED', 'the sandbox instance is not connected')
    }
    return this.account
  }

  requireLinked(): SandboxAccount {
    if (!this.account || !this.network.isAccount(this.account.phone)) {
      throw new EngineError('NOT_CONNECTED', 'the sandbox instance is not linked to a number')
    }
    return this.account
  }

  // ── connection ──────────────────────────────────────────────────────────

  async connect(): Promise<void> {
    if (this.active()) return
    this.clearTimer()
    const account = await this.loadAccount()
    // Another call may have connected while the session loaded.
    if (this.active()) return
    this.setStatus('connecting', {})
    if (account) this.goOnline()
    else this.startQr()
  }

  async disconnect(): Promise<void> {
    this.clearTimer()
    this.qr = undefined
    if (!this.active()) return
    this.goOffline()
    this.setStatus('disconnected', { reason: 'closed', reconnect: 'none' })
  }

  async logout(): Promise<void> {
    this.clearTimer()
    this.qr = undefined
    this.pairingPhone = undefined
    if (this.status === 'connected') this.goOffline()
    const phone = this.account?.phone
    this.account = undefined
    this.accountLoaded = true
    await this.auth.clear()
    if (phone) this.network.forget(phone)
    this.setStatus('logged_out', { reason: 'logged_out', statusCode: 401, reconnect: 'none' })
  }

  async requestPairingCode(phone: string): Promise<string> {
    const digits = this.checkPhone(phone)
    if (this.status === 'connected')
      throw new EngineError('ALREADY_CONNECTED', 'the instance is already connected')
    if (this.status !== 'connecting') await this.connect()
    if (this.account) throw new EngineError('ALREADY_CONNECTED', 'the instance is already linked')
    this.pairingPhone = digits
    const digest = createHash('sha256').update(`${this.instanceId}:${digits}:${this.qrAttempt}`).digest()
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTVWXYZ'
    return [...digest.subarray(0, 8)].map((byte) => alphabet[byte % alphabet.length]).join('')
  }

  // ── sandbox controls ────────────────────────────────────────────────────

  /** The QR (or pairing code) is accepted on a phone: the instance links to that number. */
  async scan(phone?: string): Promise<{ phone: string; jid: string; lid: string }> {
    if (this.status !== 'connecting' || this.account) {
      throw new EngineError('INVALID_STATE', 'no QR code is being shown: connect the instance first')
    }
    const digits = phone ? this.checkPhone(phone) : (this.pairingPhone ?? this.network.nextPhone())
    const account: SandboxAccount = {
      phone: digits,
      jid: phoneJid(digits),
      lid: this.network.lidFor(digits),
      name: this.options.name ?? `Sandbox ${digits.slice(-4)}`,
    }
    await this.auth.saveCreds(JSON.stringify({ engine: 'sandbox', ...account }))
    if (this.status !== 'connecting' || this.account) {
      throw new EngineError('INVALID_STATE', 'the connection attempt ended before the scan')
    }
    this.clearTimer()
    this.qr = undefined
    this.pairingPhone = undefined
    this.account = account
    this.goOnline()
    await this.network.settle()
    return { phone: account.phone, jid: account.jid, lid: account.lid }
  }

  /** A contact writes to this instance; answers the message's WhatsApp id. */
  async inbound(input: controls.SandboxInboundInput): Promise<string> {
    const id = controls.inbound(this, this.requireLinked(), input)
    await this.network.settle()
    return id
  }

  async receipt(
    messageId: string,
    status: 'delivered' | 'read' | 'played',
    options?: { chatJid?: string; from?: string },
  ): Promise<void> {
    const me = this.requireLinked()
    // A message sent before a restart is no longer in memory; the network's store knows its chat.
    const sent = options?.chatJid ? undefined : await this.network.findSent(me.phone, messageId)
    controls.receipt(this, me, messageId, status, sent ? { ...options, chatJid: sent.to } : options)
    await this.network.settle()
  }

  async reaction(from: string, messageId: string, emoji: string): Promise<void> {
    controls.reaction(this, this.requireLinked(), from, messageId, emoji)
    await this.network.settle()
  }

  /** The connection drops; by default the engine reconnects by itself after `reconnectDelayMs`. */
  async drop(): Promise<void> {
    if (this.status !== 'connected')
      throw new EngineError('NOT_CONNECTED', 'the sandbox instance is not connected')
    const self = (this.options.dropReconnect ?? 'self') === 'self'
    this.goOffline()
    this.setStatus('disconnected', {
      reason: 'connection_lost',
      statusCode: 428,
      reconnect: self ? 'self' : 'supervisor',
    })
    if (self) {
      this.timer = this.network.clock.setTimeout(() => {
        this.timer = undefined
        if (this.status !== 'disconnected' || !this.account) return
        this.setStatus('connecting', {})
        this.goOnline()
      }, this.options.reconnectDelayMs ?? 1_000)
    }
    await this.network.settle()
  }

  async downloadMedia(message: DownloadableMessage): Promise<Buffer> {
    const raw = message.raw
    if (isSandboxRaw(raw)) {
      if (raw.data) return raw.data
      if (raw.url && this.network.fetchMedia) return this.network.fetchMedia(raw.url)
    }
    throw new EngineError('MEDIA_UNAVAILABLE', `message ${message.id} has no downloadable media`, {
      messageId: message.id,
    })
  }

  // ── internals ───────────────────────────────────────────────────────────

  private active(): boolean {
    return this.status === 'connecting' || this.status === 'connected'
  }

  private checkPhone(phone: string): string {
    const digits = normalizePhone(phone)
    if (!digits) throw new EngineError('INVALID_ARGUMENT', `"${phone}" is not a phone number`, { phone })
    if (!isOnWhatsApp(digits)) throw new EngineError('NOT_ON_WHATSAPP', `${digits} is not on WhatsApp`)
    return digits
  }

  private async loadAccount(): Promise<SandboxAccount | undefined> {
    if (this.accountLoaded) return this.account
    const stored = await this.auth.loadCreds()
    const parsed = stored ? (JSON.parse(stored) as Partial<SandboxAccount> & { engine?: string }) : undefined
    if (parsed?.engine === 'sandbox' && parsed.phone && parsed.jid && parsed.lid) {
      this.account = { phone: parsed.phone, jid: parsed.jid, lid: parsed.lid, name: parsed.name ?? '' }
    }
    this.accountLoaded = true
    return this.account
  }

  private startQr(): void {
    this.qrAttempt = 0
    this.showNextQr()
  }

  private showNextQr(): void {
    const { firstTtlMs = 60_000, ttlMs = 20_000, maxCount = 6 } = this.options.qr ?? {}
    if (this.qrAttempt >= maxCount) {
      this.qr = undefined
      this.setStatus('disconnected', { reason: 'qr_timeout', statusCode: 408, reconnect: 'none' })
      return
    }
    const ttl = this.qrAttempt === 0 ? firstTtlMs : ttlMs
    this.qrAttempt++
    this.qr = {
      qr: this.network.qrFor(this.instanceId, this.qrAttempt),
      expiresAt: this.network.clock.now() + ttl,
    }
    this.receive('qr', { ...this.qr })
    this.timer = this.network.clock.setTimeout(() => {
      this.timer = undefined
      if (this.status === 'connecting' && !this.account) this.showNextQr()
    }, ttl)
  }

  private goOnline(): void {
    const account = this.account!
    // Before anyone can see it connected: the log brackets every moment it is.
    this.online = true
    this.options.logger?.info({ phone: account.phone }, 'sandbox connection opened')
    this.connectedAt = this.network.clock.now()
    this.setStatus('connected', {
      phone: account.phone,
      jid: account.jid,
      lid: account.lid,
      name: account.name,
      platform: 'sandbox',
    })
    // After the `connected` event, so that held messages arrive on an open connection.
    this.network.attach(account.phone, this)
  }

  private goOffline(): void {
    if (this.account) this.network.detach(this.account.phone, this)
    this.connectedAt = undefined
    if (!this.online) return
    this.online = false
    this.options.logger?.info({ phone: this.account?.phone }, 'sandbox connection closed')
  }

  private setStatus(status: ConnectionStatus, details: Omit<ConnectionEvent, 'status'>): void {
    this.status = status
    this.receive('connection', { status, ...details })
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.network.clock.clearTimeout(this.timer)
    this.timer = undefined
  }
}
