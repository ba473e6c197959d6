import { globalAgent } from 'node:https'
import { rootCertificates } from 'node:tls'
import makeWASocket, {
  type BaileysEventMap,
  type ConnectionState,
  type UserFacingSocketConfig,
  WA_CERT_DETAILS,
  type WAMessage,
  type WAMessageUpdate,
  type WASocket,
} from 'baileys'
import { pino } from 'pino'
import type { MemoryAuth } from './auth-state.js'
import { MEDIA_TLS_CERT } from './media-tls.js'
import type { Phone } from './phone.js'
import { Recorder } from './record.js'
import type { WaSimulator } from './server.js'

/**
 * Makes Baileys in this process accept the simulator: its Noise certificate chain, and the TLS
 * certificate of its media upload server (added to the https global agent's trusted CAs). Test
 * processes only.
 */
export function trustSimulator(sim: Pick<WaSimulator, 'rootPublicKey'>): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(sim.rootPublicKey)
  const ca = globalAgent.options.ca
  const current = ca === undefined ? [...rootCertificates] : Array.isArray(ca) ? ca : [ca]
  if (!current.includes(MEDIA_TLS_CERT)) globalAgent.options.ca = [...current, MEDIA_TLS_CERT]
}

export interface CloseInfo {
  statusCode?: number
  error?: Error
}

export type ClientConfig = Partial<Omit<UserFacingSocketConfig, 'auth' | 'waWebSocketUrl'>>

function statusCodeOf(error: Error | undefined): number | undefined {
  return (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode
}

/** A real Baileys socket pointed at the simulator, with its events recorded for assertions. */
export class TestClient {
  readonly sock: WASocket
  readonly qrs = new Recorder<string>()
  readonly upserts = new Recorder<{ message: WAMessage; type: string }>()
  readonly updates = new Recorder<WAMessageUpdate>()
  readonly connection = new Recorder<Partial<ConnectionState>>()
  readonly history = new Recorder<BaileysEventMap['messaging-history.set']>()
  readonly opened: Promise<void>
  readonly closed: Promise<CloseInfo>

  constructor(sim: Pick<WaSimulator, 'url'>, auth: MemoryAuth, config: ClientConfig = {}) {
    const { state, saveCreds } = auth.load()
    this.sock = makeWASocket({
      logger: pino({ level: process.env.WA_SIM_BAILEYS_LOG ?? 'silent' }),
      printQRInTerminal: false,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      connectTimeoutMs: 10_000,
      ...config,
      auth: state,
      waWebSocketUrl: sim.url,
    })
    const ev = this.sock.ev
    ev.on('creds.update', saveCreds)
    ev.on('messages.upsert', ({ messages, type }) => {
      for (const message of messages) this.upserts.push({ message, type })
    })
    ev.on('messaging-history.set', (set) => this.history.push(set))
    ev.on('messages.update', (updates) => {
      for (const update of updates) this.updates.push(update)
    })
    let onOpen: () => void = () => undefined
    let onFailure: (err: Error) => void = () => undefined
    let onClose: (info: CloseInfo) => void = () => undefined
    this.opened = new Promise((resolve, reject) => {
      onOpen = resolve
      onFailure = reject
    })
    this.closed = new Promise((resolve) => {
      onClose = resolve
    })
    ev.on('connection.update', (update) => {
      this.connection.push(update)
      if (update.qr) this.qrs.push(update.qr)
      if (update.connection === 'open') onOpen()
      if (update.connection === 'close') {
        const error = update.lastDisconnect?.error
        const info = { statusCode: statusCodeOf(error), error }
        onClose(info)
        onFailure(Object.assign(new Error(`closed before open (${info.statusCode})`), { info }))
      }
    })
    // Tests that never wait for `opened` must not see an unhandled rejection.
    this.opened.catch(() => undefined)
  }

  waitForQr(timeoutMs = 10_000): Promise<string> {
    return this.qrs.waitFor(() => true, timeoutMs, 'a QR code')
  }

  waitForOpen(timeoutMs = 15_000): Promise<void> {
    return withTimeout(this.opened, timeoutMs, 'connection open')
  }

  waitForClose(timeoutMs = 15_000): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, 'connection close')
  }

  /** Waits for an upserted message matching `match` (received or sent by this client). */
  waitForUpsert(
    match: (m: WAMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<{ message: WAMessage; type: string }> {
    return this.upserts.waitFor((u) => match(u.message), timeoutMs, 'messages.upsert')
  }

  waitForUpdate(match: (u: WAMessageUpdate) => boolean, timeoutMs = 10_000): Promise<WAMessageUpdate> {
    return this.updates.waitFor(match, timeoutMs, 'messages.update')
  }

  /**
   * Waits until Baileys finished its first sync (history, then app state), after which it counts
   * the account as synced and stops holding events on later connections.
   */
  async waitForInitialSync(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(this.sock.authState.creds.accountSyncCounter > 0)) {
      if (Date.now() > deadline) throw new Error(`initial sync not done after ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /**
   * Waits until message `id` reached `status`: Baileys reports it in messages.update, or folds it
   * into the buffered messages.upsert of the client's own message when the receipt comes quickly.
   */
  async waitForStatus(id: string, status: number, timeoutMs = 10_000): Promise<void> {
    const inUpsert = this.upserts.items.find(
      (u) => u.message.key.id === id && (u.message.status ?? 0) >= status,
    )
    if (inUpsert) return
    await Promise.race([
      this.updates.waitFor(
        (u) => u.key.id === id && (u.update.status ?? 0) >= status,
        timeoutMs,
        `status ${status}`,
      ),
      this.upserts.waitFor(
        (u) => u.message.key.id === id && (u.message.status ?? 0) >= status,
        timeoutMs,
        `status ${status}`,
      ),
    ])
  }

  /** Ends the socket (no logout) and waits until Baileys reports the close. */
  async end(): Promise<CloseInfo> {
    this.sock.end(undefined)
    return this.waitForClose(5_000)
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Links a fresh client to `phone` by QR: waits for the QR, scans it, and waits for the 515 close
 * that asks the client to restart. Returns the new device jid and that close.
 */
export async function linkWithQr(
  sim: WaSimulator,
  phone: Phone,
  auth: MemoryAuth,
  config: ClientConfig = {},
): Promise<{ device: string; close: CloseInfo }> {
  const client = new TestClient(sim, auth, config)
  const qr = await client.waitForQr()
  const device = await phone.scanQr(qr)
  const close = await client.waitForClose()
  return { device, close }
}

/** Connects with stored credentials and waits for `open`. */
export async function connectClient(
  sim: WaSimulator,
  auth: MemoryAuth,
  config: ClientConfig = {},
): Promise<TestClient> {
  const client = new TestClient(sim, auth, config)
  await client.waitForOpen()
  return client
}
