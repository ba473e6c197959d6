import type { proto } from 'baileys'
import type { ClientConnection, ConnectionEvents } from './connection.js'
import type { SimContext } from './context.js'
import { answerIq, answerRegistrationIq, DEFAULT_PRIVACY, type IqContext } from './iq.js'
import { pnJid } from './jid.js'
import type { SimDevice } from './network.js'
import { type BinaryNode, node, nodeToString, SERVER_JID, unixNow } from './nodes.js'
import type { Pairing } from './pairing.js'
import { Recorder } from './record.js'
import { relayMessage, relayReceipt } from './relay.js'

export interface IqRecord {
  device?: string
  xmlns: string
  type: string
  children: string[]
}

export interface LoginRecord {
  device: string
  connection: number
}

/**
 * What happens on each client connection once the handshake is done: registration or login,
 * passive/active, iqs, message and receipt routing, and the end of a session.
 */
export class Sessions implements ConnectionEvents, IqContext {
  readonly extraIq: IqContext['extraIq'] = new Map()
  readonly iqs = new Recorder<IqRecord>()
  readonly logins = new Recorder<LoginRecord>()
  readonly connections = new Set<ClientConnection>()
  private readonly privacySettings = new Map<string, Map<string, string>>()

  constructor(
    private readonly ctx: SimContext,
    readonly pairing: Pairing,
    /** Called once a device leaves passive mode (after offline delivery). */
    private readonly onActive: (device: SimDevice) => void,
  ) {}

  get network() {
    return this.ctx.network
  }

  onPayload(conn: ClientConnection, payload: proto.ClientPayload): void {
    if (payload.devicePairingData && !payload.username) {
      this.pairing.start(conn, payload)
      return
    }
    const device = this.network.findDevice(pnJid(String(payload.username ?? ''), payload.device ?? 0))
    if (!device?.companion || !conn.clientStatic || !device.companion.noiseKey.equals(conn.clientStatic)) {
      // A removed or unknown device: the server refuses it as logged out.
      conn.send(node('failure', { reason: 401, location: 'sim' }))
      conn.close()
      return
    }
    const previous = device.connection
    if (previous && !previous.closed) previous.streamError({}, node('conflict', { type: 'replaced' }))
    device.connection = conn
    device.active = false
    conn.deviceJid = device.jid
    conn.send(
      node('success', {
        t: unixNow(),
        lid: device.lidJid,
        display_name: device.user.pushName,
        creation: unixNow() - 86_400,
        location: 'sim',
        props: 1,
        abprops: 1,
      }),
    )
    this.logins.push({ device: device.jid, connection: conn.id })
    if (!payload.passive) this.activate(conn, device)
  }

  onNode(conn: ClientConnection, stanza: BinaryNode): void {
    const device = conn.deviceJid ? this.network.findDevice(conn.deviceJid) : undefined
    if (device && device.connection !== conn) return
    switch (stanza.tag) {
      case 'iq': {
        const type = stanza.attrs.type ?? ''
        if (type !== 'get' && type !== 'set') return
        this.iqs.push({
          device: device?.jid,
          xmlns: stanza.attrs.xmlns ?? '',
          type,
          children: Array.isArray(stanza.content) ? stanza.content.map((c) => c.tag) : [],
        })
        conn.send(device ? answerIq(this, conn, device, stanza) : answerRegistrationIq(this, conn, stanza))
        return
      }
      case 'message':
        if (device) relayMessage(this.ctx, conn, device, stanza)
        return
      case 'receipt':
        if (device) relayReceipt(this.ctx, conn, device, stanza)
        return
      default:
        this.ctx.log(`#${conn.id} unhandled ${nodeToString(stanza)}`)
    }
  }

  onClose(conn: ClientConnection): void {
    this.connections.delete(conn)
    this.pairing.forget(conn)
    const device = conn.deviceJid ? this.network.findDevice(conn.deviceJid) : undefined
    if (device?.connection === conn) {
      device.connection = undefined
      device.active = false
    }
  }

  /** Leaves passive mode: held stanzas go out marked offline, then the end-of-offline marker. */
  activate(conn: ClientConnection, device: SimDevice): void {
    if (device.connection !== conn || device.active) return
    device.active = true
    const held = device.offline.splice(0)
    for (const stanza of held) conn.send({ ...stanza, attrs: { ...stanza.attrs, offline: '1' } })
    conn.send(node('ib', { from: SERVER_JID }, [node('offline', { count: held.length })]))
    this.onActive(device)
  }

  /** Forgets a linked device; `notify` ends its live session with 401 `device_removed`. */
  removeCompanion(device: SimDevice, notify = true): void {
    const conn = device.connection
    device.companion = undefined
    device.keys = undefined
    device.connection = undefined
    device.active = false
    device.offline.length = 0
    this.ctx.log(`unlinked ${device.jid}`)
    if (notify && conn && !conn.closed) {
      conn.streamError({ code: '401' }, node('conflict', { type: 'device_removed' }))
    }
  }

  privacy(device: SimDevice): Map<string, string> {
    let settings = this.privacySettings.get(device.user.pn)
    if (!settings) {
      settings = new Map(DEFAULT_PRIVACY)
      this.privacySettings.set(device.user.pn, settings)
    }
    return settings
  }
}
