import { randomInt } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { answerAppStateIq } from './app-state.js'
import { generateKeyPair, type KeyPair, makeCertChain } from './certs.js'
import { ClientConnection, type Logger } from './connection.js'
import { Contact } from './contact.js'
import type { SimContext } from './context.js'
import { Groups, type SimGroup } from './groups.js'
import { lidJid, pnJid } from './jid.js'
import { MediaServer } from './media.js'
import { Network, type SimDevice, type SimUser } from './network.js'
import { type BinaryNode, node, unixNow } from './nodes.js'
import { Pairing } from './pairing.js'
import type { Addressing, SimulatedUser } from './party.js'
import { Phone, type PhoneContext } from './phone.js'
import { Sessions } from './sessions.js'
import { createWsServer, type WsServer } from './ws.js'

export interface SimulatorOptions {
  /**
   * Root key the certificate chain is signed with (tests set `WA_CERT_DETAILS.PUBLIC_KEY` to its
   * public half); by default one generated per process and shared by its simulators.
   */
  rootKey?: KeyPair
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** How simulated users address themselves when they write: `pn` (default) or `lid`. */
  addressing?: Addressing
  /** Receives a line per stanza in and out; `WA_SIM_DEBUG=1` logs to stderr. */
  log?: Logger
}

export interface UserOptions {
  phoneNumber?: string
  lid?: string
  pushName?: string
  addressing?: Addressing
  /** Contacts only: send a delivery receipt for every message, as an online phone does (default true). */
  autoDeliveryReceipts?: boolean
}

// Simulators of one process share a root key unless told otherwise, so that trusting one (the
// client's WA_CERT_DETAILS is process-wide) trusts them all.
let processRootKey: KeyPair | undefined

/** Starts a simulator listening on 127.0.0.1 and resolves once it accepts connections. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<WaSimulator> {
  const sim = new WaSimulator(options)
  await sim.listen(options.port ?? 0)
  return sim
}

/**
 * A WhatsApp server on loopback: the Noise handshake, pairing, login, prekeys, usync and message
 * routing between real clients (Baileys) and simulated users (phones and contacts).
 */
export class WaSimulator implements SimContext, PhoneContext {
  readonly network = new Network()
  readonly groups = new Groups(this.network, (group, actor, change, except) =>
    this.notifyGroup(group, actor, change, except),
  )
  readonly pairing = new Pairing((device) => this.log(`paired ${device.jid}`))
  readonly rootKey: KeyPair
  readonly media = new MediaServer(() => this.httpUrl)
  private readonly sessions = new Sessions(this, this.pairing, (device) => this.onDeviceActive(device))
  /** Every iq clients sent, in order: what a client asks the server at login and later. */
  readonly iqs = this.sessions.iqs
  /** Every successful login, in order. */
  readonly logins = this.sessions.logins
  /** Failures inside simulated devices (e.g. a message that did not decrypt). */
  readonly errors: Array<{ where: string; error: unknown }> = []

  private readonly staticKey = generateKeyPair()
  private readonly certChain: Uint8Array
  private readonly http: Server
  private readonly wss: WsServer
  private readonly inboxes = new Map<SimDevice, Promise<void>>()
  private readonly phones = new Map<SimUser, Phone>()
  private readonly logger?: Logger
  private nextNumber = 1
  private notificationCount = 0
  private port = 0

  constructor(private readonly options: SimulatorOptions = {}) {
    processRootKey ??= generateKeyPair()
    this.rootKey = options.rootKey ?? processRootKey
    this.certChain = makeCertChain(this.rootKey, this.staticKey.public)
    this.logger =
      options.log ??
      (process.env.WA_SIM_DEBUG ? (line) => process.stderr.write(`[wa-sim] ${line}\n`) : undefined)
    const extraIq = this.sessions.extraIq
    extraIq.set('w:sync:app:state', (_conn, _device, iq) => answerAppStateIq(iq))
    extraIq.set('w:m', (_conn, _device, iq) => this.media.mediaConnIq(iq))
    extraIq.set('w:g2', (_conn, device, iq) => this.groups.handleIq(device, iq))
    this.wss = createWsServer()
    this.http = createServer((req, res) => {
      if (!this.media.handleDownload(req, res)) res.writeHead(404).end()
    })
    this.http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws/chat') {
        socket.destroy()
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new ClientConnection(ws, this.staticKey, this.certChain, this.sessions, this.logger)
        this.sessions.connections.add(conn)
      })
    })
  }

  /** The public half of the root key: the value for `WA_CERT_DETAILS.PUBLIC_KEY`. */
  get rootPublicKey(): Buffer {
    return this.rootKey.public
  }

  /** The `waWebSocketUrl` to give Baileys. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws/chat`
  }

  /** Base URL of the loopback HTTP server (media and other side channels hang off it). */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(port, '127.0.0.1', () => resolve())
    })
    this.port = (this.http.address() as AddressInfo).port
    await this.media.listen()
  }

  private newUser(options: UserOptions, fallbackName: string) {
    let pn = options.phoneNumber?.replace(/[^0-9]/g, '')
    while (!pn || (!options.phoneNumber && this.network.findUser(pnJid(pn)))) {
      pn = `55119${String(this.nextNumber++).padStart(8, '0')}`
    }
    let lid = options.lid
    while (!lid || (!options.lid && this.network.findUser(lidJid(lid)))) {
      lid = `${randomInt(1, 10)}${String(randomInt(0, 10 ** 14)).padStart(14, '0')}`
    }
    return this.network.addUser(pn, lid, options.pushName ?? `${fallbackName} ${pn.slice(-4)}`)
  }

  /** An account whose phone can link clients (QR or pairing code) and unlink them. */
  createPhone(options: UserOptions = {}): Phone {
    const user = this.newUser(options, 'Sim Phone')
    const phone = new Phone(this, user, options.addressing ?? this.options.addressing ?? 'pn')
    this.phones.set(user, phone)
    return phone
  }

  /** Another WhatsApp user, with a real Signal identity, that clients can write to and hear from. */
  createContact(options: UserOptions = {}): Contact {
    const user = this.newUser(options, 'Contact')
    return new Contact(
      this,
      user,
      options.addressing ?? this.options.addressing ?? 'pn',
      options.autoDeliveryReceipts ?? true,
    )
  }

  // SimContext

  deliver(to: SimDevice, stanza: BinaryNode, from: SimDevice): void {
    const receiver = to.receiver
    if (receiver) {
      // One inbox per device keeps decryption in arrival order.
      const previous = this.inboxes.get(to) ?? Promise.resolve()
      const next = previous
        .then(() => receiver(stanza, from))
        .catch((err) => this.recordError(`device ${to.jid}`, err))
      this.inboxes.set(to, next)
      return
    }
    if (!to.companion) return
    const conn = to.connection
    if (conn && !conn.closed && to.active) conn.send(stanza)
    else to.offline.push(stanza)
  }

  log(line: string): void {
    this.logger?.(line)
  }

  recordError(where: string, error: unknown): void {
    this.log(`error in ${where}: ${error instanceof Error ? error.stack : String(error)}`)
    this.errors.push({ where, error })
  }

  /** A group created by a simulated user (the members' clients hear of it by notification). */
  createGroup(subject: string, creator: SimulatedUser, members: Array<{ user: SimUser }>): SimGroup {
    const group = this.groups.create(
      subject,
      creator.user,
      members.map((m) => m.user),
    )
    this.notifyGroup(group, creator.user, node('create', {}, [this.groups.metadata(group)]))
    return group
  }

  /** The phone pushes its history to a device the first time it goes active. */
  private onDeviceActive(device: SimDevice): void {
    this.phones
      .get(device.user)
      ?.onCompanionActive(device)
      .catch((err) => this.recordError(`history push to ${device.jid}`, err))
  }

  private notifyGroup(group: SimGroup, actor: SimUser, change: BinaryNode, except?: SimDevice): void {
    const lid = group.addressingMode === 'lid'
    const attrs = {
      from: group.id,
      type: 'w:gp2',
      id: `gp2.${++this.notificationCount}`,
      t: unixNow(),
      participant: lid ? actor.lidJid : actor.jid,
      ...(lid ? { participant_pn: actor.jid } : {}),
    }
    for (const device of this.groups.memberDevices(group, except)) {
      if (device.companion) this.deliver(device, node('notification', attrs, [change]), device)
    }
  }

  // PhoneContext

  removeCompanion(device: SimDevice): void {
    this.sessions.removeCompanion(device, true)
  }

  // Controls

  /** The live connection of a linked device, if it is online. */
  connectionOf(deviceJid: string): ClientConnection | undefined {
    const conn = this.network.findDevice(deviceJid)?.connection
    return conn && !conn.closed ? conn : undefined
  }

  private requireConnection(deviceJid: string): ClientConnection {
    const conn = this.connectionOf(deviceJid)
    if (!conn) throw new Error(`${deviceJid} is not connected`)
    return conn
  }

  /** Drops the device's socket without a word: the client sees a plain close (428) and may reconnect. */
  dropConnection(deviceJid: string): void {
    this.requireConnection(deviceJid).terminate()
  }

  /** Ends the session as when the same device logs in elsewhere: `conflict replaced` (440). */
  replaceConnection(deviceJid: string): void {
    this.requireConnection(deviceJid).streamError({}, node('conflict', { type: 'replaced' }))
  }

  /** Sends a stream error with a code (e.g. 503, 515) and closes. */
  streamError(deviceJid: string, code: number): void {
    this.requireConnection(deviceJid).streamError({ code: String(code) })
  }

  async close(): Promise<void> {
    for (const conn of this.sessions.connections) conn.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
    await this.media.close()
  }
}
