import type { KeyBundle } from './cipher.js'
import type { ClientConnection } from './connection.js'
import { isLid, lidJid, parseJid, pnJid } from './jid.js'
import type { BinaryNode } from './nodes.js'
import type { PublishedKeys } from './signal-store.js'

/** What the server knows about a linked companion (a real client) once paired. */
export interface CompanionInfo {
  noiseKey: Buffer
  identityKey: Buffer
  keyIndex: number
  platform: string
}

/** Receives stanzas addressed to a simulated device (a contact or the phone). */
export type StanzaReceiver = (stanza: BinaryNode, from: SimDevice) => Promise<void>

export class SimDevice {
  /** Keys handed out to whoever opens a session with this device (prekeys are consumed). */
  keys?: PublishedKeys
  companion?: CompanionInfo
  connection?: ClientConnection
  /** A logged-in client receives stanzas only after it leaves passive mode. */
  active = false
  /** Stanzas stored while the companion is offline, delivered at its next login. */
  readonly offline: BinaryNode[] = []
  receiver?: StanzaReceiver

  constructor(
    readonly user: SimUser,
    readonly id: number,
  ) {}

  get jid(): string {
    return pnJid(this.user.pn, this.id)
  }

  get lidJid(): string {
    return lidJid(this.user.lid, this.id)
  }

  /** Takes one bundle, consuming a one-time prekey as the real server does. */
  takeBundle(): KeyBundle | undefined {
    if (!this.keys) return undefined
    const { registrationId, identity, signedPreKey, preKeys } = this.keys
    const first = preKeys.entries().next()
    let preKey: KeyBundle['preKey']
    if (!first.done) {
      const [id, pub] = first.value
      preKeys.delete(id)
      preKey = { id, public: pub }
    }
    return { registrationId, identity, signedPreKey, preKey }
  }
}

export class SimUser {
  readonly devices = new Map<number, SimDevice>()

  constructor(
    readonly pn: string,
    readonly lid: string,
    public pushName: string,
  ) {}

  get jid(): string {
    return pnJid(this.pn)
  }

  get lidJid(): string {
    return lidJid(this.lid)
  }

  device(id: number): SimDevice {
    let device = this.devices.get(id)
    if (!device) {
      device = new SimDevice(this, id)
      this.devices.set(id, device)
    }
    return device
  }

  companions(): SimDevice[] {
    return [...this.devices.values()].filter((d) => d.companion)
  }
}

/** Users by phone number and by LID, and routing of stanzas to their devices. */
export class Network {
  private readonly byPn = new Map<string, SimUser>()
  private readonly byLid = new Map<string, SimUser>()

  addUser(pn: string, lid: string, pushName: string): SimUser {
    if (this.byPn.has(pn)) throw new Error(`user ${pn} already exists`)
    if (this.byLid.has(lid)) throw new Error(`lid ${lid} already taken`)
    const user = new SimUser(pn, lid, pushName)
    this.byPn.set(pn, user)
    this.byLid.set(lid, user)
    return user
  }

  findUser(jid: string): SimUser | undefined {
    const parsed = parseJid(jid)
    if (!parsed) return undefined
    return isLid(jid) ? this.byLid.get(parsed.user) : this.byPn.get(parsed.user)
  }

  findDevice(jid: string): SimDevice | undefined {
    const parsed = parseJid(jid)
    return parsed ? this.findUser(jid)?.devices.get(parsed.device) : undefined
  }
}
