import type { BaileysEventMap, ConnectionState, proto, SocketConfig, WAMessage, WAMessageKey } from 'baileys'
import pino, { type Logger } from 'pino'
import { EngineError } from '../errors.js'
import { normalizePhone } from '../jid.js'
import { LruMap } from '../lru.js'
import type {
  AuthStateStore,
  ConnectionEvent,
  ConnectionStatus,
  Engine,
  EngineEventItem,
  EngineState,
} from '../types.js'
import { loadAuthState, type StoredAuthState } from './auth-state.js'
import { classifyDisconnect, statusCodeOf } from './disconnect.js'
import { BaileysGroups } from './group-ops.js'
import { type GroupMetadataCache, MemoryGroupCache } from './groups.js'
import { resolveLids } from './lid-resolve.js'
import { normalizeJid, phoneOf } from './mapping/context.js'
import { mapBaileysEvents } from './mapping/index.js'
import { BaileysOperations } from './operations.js'
import { nextQr } from './pairing.js'
import { BaileysSender } from './sender.js'
import { type BaileysSocket, type MakeSocket, makeBaileysSocket } from './socket.js'

export interface BaileysEngineOptions {
  /** The instance's session rows (creds and keys). */
  auth: AuthStateStore
  logger?: Logger
  /** Socket options passed to Baileys as they are: `waWebSocketUrl`, `connectTimeoutMs`, `browser`, … */
  socket?: Partial<Omit<SocketConfig, 'auth' | 'getMessage' | 'cachedGroupMetadata'>>
  /** Finds a message this instance sent earlier (Baileys asks when a recipient could not decrypt). */
  getMessage?: (key: WAMessageKey) => Promise<proto.IMessage | undefined>
  groupCache?: GroupMetadataCache
  /** Default 30 s. */
  ackTimeoutMs?: number
  /** Check numbers with WhatsApp before the first send to each (default true). */
  verifyRecipients?: boolean
  /** Keep Signal keys in a short-lived memory cache in front of the store (default true). */
  cacheKeys?: boolean
  /** Builds the socket; tests replace it. */
  makeSocket?: MakeSocket
  now?: () => number
}

const silent = pino({ level: 'silent' })

/**
 * One real WhatsApp connection through Baileys. It reports what happens and restarts only when
 * WhatsApp asks (515); every other reconnection is the supervisor's decision.
 */
export class BaileysEngine extends BaileysOperations implements Engine {
  readonly kind = 'baileys' as const
  protected readonly sender: BaileysSender
  protected readonly groups: BaileysGroups
  protected readonly log: Logger
  private readonly now: () => number
  private readonly lidSeen = new LruMap<string, string>(2_048)
  private readonly groupCache: GroupMetadataCache
  private auth?: StoredAuthState
  private authLoading?: Promise<StoredAuthState>
  private sock?: BaileysSocket
  private status: EngineState['status'] = 'idle'
  private qr?: { qr: string; expiresAt: number }
  private qrCount = 0
  private connectedAt?: number
  private closing?: 'disconnect' | 'logout'
  private closed?: { promise: Promise<void>; resolve: () => void }
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly options: BaileysEngineOptions) {
    super((error, event) => (options.logger ?? silent).error({ err: error, event }, 'engine listener failed'))
    this.log = options.logger ?? silent
    this.now = options.now ?? Date.now
    this.groupCache = options.groupCache ?? new MemoryGroupCache(undefined, undefined, this.now)
    this.groups = new BaileysGroups(this.groupCache)
    this.sender = new BaileysSender({
      ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
      verifyRecipients: options.verifyRecipients ?? true,
      getMessage: options.getMessage,
      now: this.now,
      onSent: (receipt) => this.enqueue(() => this.emitter.emit('receipt', { ...receipt, status: 'sent' })),
    })
  }

  getState(): EngineState {
    const me = this.status === 'connected' ? this.auth?.state.creds.me : undefined
    const jid = normalizeJid(me?.id)
    return {
      status: this.status,
      phone: phoneOf(jid),
      jid,
      lid: normalizeJid(me?.lid),
      name: me?.name ?? me?.notify,
      platform: me ? this.auth?.state.creds.platform : undefined,
      qr: this.qr && { ...this.qr },
      connectedAt: this.connectedAt,
    }
  }

  // ── connection ──────────────────────────────────────────────────────────

  async connect(): Promise<void> {
    if (this.sock) return
    this.closing = undefined
    const auth = await this.loadAuth()
    if (this.sock) return
    this.startSocket(auth)
  }

  async disconnect(): Promise<void> {
    const sock = this.sock
    if (!sock) return
    this.closing = 'disconnect'
    const closed = this.closed?.promise
    await sock.end(undefined)
    await closed
  }

  async logout(): Promise<void> {
    const sock = this.sock
    if (!sock) {
      await this.wipe()
      this.setStatus('logged_out', { reason: 'logged_out', statusCode: 401, reconnect: 'none' })
      return
    }
    this.closing = 'logout'
    const closed = this.closed?.promise
    if (this.status === 'connected') await sock.logout().catch(() => sock.end(undefined))
    else await sock.end(undefined)
    await closed
  }

  async requestPairingCode(phone: string): Promise<string> {
    const digits = normalizePhone(phone)
    if (!digits) throw new EngineError('INVALID_ARGUMENT', `"${phone}" is not a phone number`, { phone })
    const auth = await this.loadAuth()
    if (this.status === 'connected' || auth.isPaired()) {
      throw new EngineError('ALREADY_CONNECTED', 'the instance is already linked to a phone')
    }
    await this.connect()
    // WhatsApp accepts a pairing code once it offered a QR on this connection.
    if (!this.qr) await nextQr(this)
    const sock = this.openPairingSocket()
    try {
      return await sock.requestPairingCode(digits)
    } catch (error) {
      throw new EngineError(
        'ENGINE_ERROR',
        'WhatsApp did not accept the pairing request',
        { phone: digits },
        { cause: error },
      )
    }
  }

  protected openSocket(): BaileysSocket {
    if (this.status !== 'connected' || !this.sock)
      throw new EngineError('NOT_CONNECTED', 'the instance is not connected')
    return this.sock
  }

  protected currentSocket(): BaileysSocket | undefined {
    return this.sock
  }

  private openPairingSocket(): BaileysSocket {
    if (!this.sock || this.status !== 'connecting')
      throw new EngineError('NOT_CONNECTED', 'the connection attempt ended')
    return this.sock
  }

  private loadAuth(): Promise<StoredAuthState> {
    // One load at a time: concurrent callers must share one state object.
    this.authLoading ??= loadAuthState(this.options.auth, {
      logger: this.log,
      cacheKeys: this.options.cacheKeys,
    }).then(
      (auth) => {
        this.auth = auth
        return auth
      },
      (error: unknown) => {
        this.authLoading = undefined
        throw error
      },
    )
    return this.authLoading
  }

  private startSocket(auth: StoredAuthState): void {
    const socketOptions = this.options.socket ?? {}
    let sock: BaileysSocket
    try {
      sock = (this.options.makeSocket ?? makeBaileysSocket)({
        markOnlineOnConnect: false,
        syncFullHistory: false,
        logger: this.log.child({ class: 'baileys' }),
        ...socketOptions,
        auth: auth.state,
        getMessage: (key) => this.sender.getMessage(key),
        cachedGroupMetadata: async (jid) => (await this.groupCache.get(jid)) ?? undefined,
      })
    } catch (error) {
      throw new EngineError('ENGINE_ERROR', 'could not open a WhatsApp socket', {}, { cause: error })
    }
    let resolve!: () => void
    const promise = new Promise<void>((r) => {
      resolve = r
    })
    this.closed = { promise, resolve }
    this.sock = sock
    this.qrCount = 0
    sock.ev.process((events) => this.enqueue(() => this.handle(sock, auth, events)))
  }

  /** Events are handled one batch at a time, in order, even when handling awaits the store. */
  private enqueue(work: () => void | Promise<void>): void {
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) => this.log.error({ err: error }, 'engine event failed'))
  }

  private async handle(
    sock: BaileysSocket,
    auth: StoredAuthState,
    events: Partial<BaileysEventMap>,
  ): Promise<void> {
    // A socket closing after a logout must not write the wiped session back.
    if (events['creds.update'] && auth === this.auth) await auth.saveCreds()
    const update = events['connection.update']
    if (update) await this.onConnectionUpdate(sock, auth, update)
    const ctx = { meJid: normalizeJid(sock.user?.id), meLid: normalizeJid(sock.user?.lid), now: this.now }
    for (const item of mapBaileysEvents(events, ctx)) await this.dispatch(sock, item)
  }

  private async dispatch(sock: BaileysSocket, item: EngineEventItem): Promise<void> {
    const lookup = async (lid: string) => {
      const pn = await sock.signalRepository?.lidMapping?.getPNForLID(lid)
      return normalizeJid(pn)
    }
    for (const out of await resolveLids(item, lookup)) {
      if (out.type === 'lid-mapping') {
        if (this.lidSeen.get(out.data.lid) === out.data.phone) continue
        this.lidSeen.set(out.data.lid, out.data.phone)
      }
      if (out.type === 'message' && out.data.raw) this.sender.remember(out.data.raw as WAMessage)
      if (out.type === 'group') await this.groups.invalidate(out.data.jid)
      this.emitter.emit(out.type, out.data as never)
    }
  }

  private async onConnectionUpdate(
    sock: BaileysSocket,
    auth: StoredAuthState,
    update: Partial<ConnectionState>,
  ): Promise<void> {
    if (sock !== this.sock) return
    if (update.qr) {
      const configured = this.options.socket?.qrTimeout
      const ttl = configured ?? (this.qrCount === 0 ? 60_000 : 20_000)
      this.qrCount++
      this.qr = { qr: update.qr, expiresAt: this.now() + ttl }
      this.emitter.emit('qr', { ...this.qr })
    }
    if (update.connection === 'connecting' && this.status !== 'connecting') this.setStatus('connecting', {})
    if (update.connection === 'open') {
      this.qr = undefined
      this.connectedAt = this.now()
      const me = auth.state.creds.me
      const jid = normalizeJid(me?.id)
      this.setStatus('connected', {
        phone: phoneOf(jid),
        jid,
        lid: normalizeJid(me?.lid),
        name: me?.name ?? me?.notify,
        platform: auth.state.creds.platform,
      })
    }
    if (update.connection === 'close') await this.onClose(auth, update.lastDisconnect?.error)
  }

  private async onClose(auth: StoredAuthState, error: Error | undefined): Promise<void> {
    const intent = this.closing
    const closed = this.closed
    this.sock = undefined
    this.closing = undefined
    this.qr = undefined
    this.connectedAt = undefined
    try {
      const statusCode = statusCodeOf(error)
      const verdict = classifyDisconnect(statusCode, error?.message)
      if (intent === 'logout' || verdict.status === 'logged_out') {
        await this.wipe()
        this.setStatus('logged_out', {
          reason: 'logged_out',
          statusCode: statusCode ?? 401,
          reconnect: 'none',
        })
      } else if (intent === 'disconnect') {
        this.setStatus('disconnected', { reason: 'closed', reconnect: 'none' })
      } else if (verdict.reconnect === 'self') {
        if (this.status !== 'connecting')
          this.setStatus('connecting', { reason: verdict.reason, statusCode, reconnect: 'self' })
        this.startSocket(auth)
      } else {
        this.setStatus(verdict.status, { reason: verdict.reason, statusCode, reconnect: verdict.reconnect })
      }
    } finally {
      closed?.resolve()
    }
  }

  private async wipe(): Promise<void> {
    await this.options.auth.clear()
    this.auth = undefined
    this.authLoading = undefined
    this.sender.forget()
    this.lidSeen.clear()
  }

  private setStatus(status: ConnectionStatus, details: Omit<ConnectionEvent, 'status'>): void {
    this.status = status
    this.emitter.emit('connection', { status, ...details })
  }
}
