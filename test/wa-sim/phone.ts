import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { proto } from 'baileys'
import { generateKeyPair, type KeyPair, sharedKey } from './certs.js'
import type { SimContext } from './context.js'
import { type HistoryChat, type HistoryMessage, initialHistory } from './history.js'
import type { SimDevice, SimUser } from './network.js'
import { node, SERVER_JID, unixNow } from './nodes.js'
import type { LinkCodeFinish, Pairing, PairingAccount } from './pairing.js'
import { type Addressing, newMessageId, SimulatedUser, stanzaType } from './party.js'

const pbkdf2Async = promisify(pbkdf2)

export interface PhoneContext extends SimContext {
  readonly pairing: Pairing
  /** Removes a linked device and ends its session as the server does (401 device_removed). */
  removeCompanion(device: SimDevice): void
}

// The pairing code stretches into an AES-CTR key with PBKDF2-SHA256 (2 << 16 rounds).
function codeKey(code: string, salt: Buffer): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(code, 'utf8'), salt, 2 << 16, 32, 'sha256')
}

function hkdf(input: Buffer, info: string, salt: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.from(hkdfSync('sha256', input, salt, Buffer.from(info), 32))
}

/** The QR payload a client shows: `ref,noiseKey,identityKey,advSecret,platform` after the `#`. */
export function parseQr(qr: string) {
  const [ref, noiseKey, identityKey, advSecret] = (qr.split('#')[1] ?? qr).split(',')
  if (!ref || !noiseKey || !identityKey || !advSecret) throw new Error(`not a pairing QR: ${qr}`)
  return {
    ref,
    noiseKey: Buffer.from(noiseKey, 'base64'),
    identityKey: Buffer.from(identityKey, 'base64'),
    advSecret: Buffer.from(advSecret, 'base64'),
  }
}

/**
 * The account's primary device. Its Signal identity is the account key that signs companions, so
 * the same key both links devices and receives the copies linked devices send of their messages.
 */
export class Phone extends SimulatedUser implements PairingAccount {
  private keyIndex = 0
  private readonly history: HistoryChat[] = []
  private readonly synced = new Set<SimDevice>()
  /** Push the initial history to newly linked devices, as phones do (on by default). */
  pushHistory = true

  constructor(
    private readonly phoneCtx: PhoneContext,
    user: SimUser,
    addressing: Addressing,
    identity: KeyPair = generateKeyPair(),
  ) {
    super(phoneCtx, user, identity, addressing)
  }

  get account(): KeyPair {
    return this.store.identity
  }

  takeKeyIndex(): number {
    this.keyIndex += 1
    return this.keyIndex
  }

  /** Jids of the linked (companion) devices. */
  get linkedDevices(): string[] {
    return this.user.companions().map((d) => d.jid)
  }

  /** Links the client showing `qr`; resolves with the new device jid once the client signed. */
  async scanQr(qr: string): Promise<string> {
    const { ref, noiseKey, identityKey, advSecret } = parseQr(qr)
    const registration = this.phoneCtx.pairing.byRef(ref)
    if (!registration) throw new Error('QR code unknown or expired')
    if (!registration.conn.clientStatic?.equals(noiseKey)) throw new Error('QR noise key does not match')
    if (!Buffer.from(registration.pairingData.eIdent ?? []).equals(identityKey)) {
      throw new Error('QR identity key does not match the registration')
    }
    const device = await this.phoneCtx.pairing.complete(registration, this, advSecret)
    return device.jid
  }

  /**
   * Types a pairing code (from the client's `requestPairingCode(number)`) into this phone: unwraps
   * the companion's ephemeral key, answers with ours, and derives the adv secret from the key bundle
   * the client sends back.
   */
  async enterPairingCode(code: string, timeoutMs = 15_000): Promise<string> {
    const registration = await this.phoneCtx.pairing.waitForLinkCodeRequest(this.user.pn)
    if (!registration.linkCode) throw new Error(`no client asked for a pairing code for ${this.user.pn}`)
    const { wrappedEphemeral, ref } = registration.linkCode
    const companionKey = await codeKey(code, wrappedEphemeral.subarray(0, 32))
    const companionDecipher = createDecipheriv('aes-256-ctr', companionKey, wrappedEphemeral.subarray(32, 48))
    const companionEphemeral = Buffer.concat([
      companionDecipher.update(wrappedEphemeral.subarray(48, 80)),
      companionDecipher.final(),
    ])

    const primaryEphemeral = generateKeyPair()
    const salt = randomBytes(32)
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-ctr', await codeKey(code, salt), iv)
    const wrapped = Buffer.concat([salt, iv, cipher.update(primaryEphemeral.public), cipher.final()])

    const finished = new Promise<LinkCodeFinish>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('client did not finish the pairing-code flow')),
        timeoutMs,
      )
      registration.onLinkCodeFinish = (finish) => {
        clearTimeout(timer)
        resolve(finish)
      }
    })
    registration.conn.send(
      node(
        'notification',
        { from: SERVER_JID, type: 'link_code_companion_reg', id: registration.conn.newId(), t: unixNow() },
        [
          node('link_code_companion_reg', { stage: 'primary_hello' }, [
            node('link_code_pairing_ref', {}, Buffer.from(ref)),
            node('primary_identity_pub', {}, this.account.public),
            node('link_code_pairing_wrapped_primary_ephemeral_pub', {}, wrapped),
          ]),
        ],
      ),
    )
    const finish = await finished

    const companionShared = sharedKey(primaryEphemeral.private, companionEphemeral)
    const bundle = finish.wrappedKeyBundle
    const bundleKey = hkdf(
      companionShared,
      'link_code_pairing_key_bundle_encryption_key',
      bundle.subarray(0, 32),
    )
    const decipher = createDecipheriv('aes-256-gcm', bundleKey, bundle.subarray(32, 44))
    decipher.setAuthTag(bundle.subarray(bundle.length - 16))
    // A wrong code surfaces here: the bundle fails authentication.
    const plain = Buffer.concat([decipher.update(bundle.subarray(44, bundle.length - 16)), decipher.final()])
    const companionIdentity = plain.subarray(0, 32)
    const random = plain.subarray(64, 96)
    if (
      !companionIdentity.equals(finish.companionIdentity) ||
      !plain.subarray(32, 64).equals(this.account.public)
    ) {
      throw new Error('pairing-code key bundle names other keys')
    }
    const identityShared = sharedKey(this.account.private, companionIdentity)
    const advSecret = hkdf(Buffer.concat([companionShared, identityShared, random]), 'adv_secret')
    const device = await this.phoneCtx.pairing.complete(registration, this, advSecret)
    return device.jid
  }

  /** Chats (with their messages) this phone hands to devices linked from now on. */
  seedHistory(contact: { user: SimUser }, messages: HistoryMessage[]): void {
    this.history.push({ with: contact.user, messages })
  }

  /**
   * Called when a companion starts receiving: the first time, the phone sends it the initial
   * history, a peer message Baileys waits for before it releases its first events.
   */
  async onCompanionActive(device: SimDevice): Promise<void> {
    if (!this.pushHistory || this.synced.has(device)) return
    this.synced.add(device)
    const plaintext = proto.Message.encode(initialHistory(this.user, this.history)).finish()
    const { type, ciphertext } = await this.encryptFor(device, plaintext)
    const attrs = { from: this.user.jid, id: newMessageId(), t: unixNow(), type: 'text', category: 'peer' }
    this.ctx.deliver(device, node('message', attrs, [node('enc', { v: 2, type }, ciphertext)]), this.device)
  }

  /**
   * Writes to `to` from the phone itself: the recipient gets the message, and every linked device
   * gets a device-sent copy naming the chat, which clients show as their own (fromMe) message.
   */
  async sendFromPhone(to: string, message: proto.IMessage): Promise<string> {
    const id = await this.sendMessage(to, message)
    const copy = proto.Message.encode({ deviceSentMessage: { destinationJid: to, message } }).finish()
    const attrs = { from: this.user.jid, recipient: to, id, t: unixNow(), type: stanzaType(message) }
    for (const device of this.user.companions()) {
      if (!device.keys) continue
      const { type, ciphertext } = await this.encryptFor(device, copy)
      this.ctx.deliver(device, node('message', attrs, [node('enc', { v: 2, type }, ciphertext)]), this.device)
    }
    return id
  }

  sendText(to: string, text: string): Promise<string> {
    return this.sendFromPhone(to, { conversation: text })
  }

  /** Unlinks a companion (all of them when no jid is given), as "Log out" in Linked devices does. */
  unlink(deviceJid?: string): void {
    const targets = this.user.companions().filter((d) => !deviceJid || d.jid === deviceJid)
    if (deviceJid && targets.length === 0) throw new Error(`${deviceJid} is not linked to ${this.user.pn}`)
    for (const device of targets) this.phoneCtx.removeCompanion(device)
  }
}
