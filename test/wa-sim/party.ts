import { randomBytes } from 'node:crypto'
import { proto } from 'baileys'
import type { KeyPair } from './certs.js'
import { address, decrypt, encrypt, startSession } from './cipher.js'
import type { SimContext } from './context.js'
import { isGroup } from './jid.js'
import type { SimDevice, SimUser } from './network.js'
import { type BinaryNode, bytes, children, node, unixNow } from './nodes.js'
import { Recorder } from './record.js'
import { SenderKeys } from './sender-keys.js'
import { MemorySignalStore } from './signal-store.js'

export type Addressing = 'pn' | 'lid'

export interface ReceivedMessage {
  id: string
  /** The chat: this user for 1:1 messages, the group jid, or for device-sent copies their chat. */
  chat: string
  /** Sender user, as a phone-number jid (`number@s.whatsapp.net`). */
  from: string
  /** Sender device, as a phone-number jid with its device (`number:7@s.whatsapp.net`). */
  fromDevice: string
  /** Stanza `type` (text, media, reaction...). */
  type: string
  /** How it travelled: `pkmsg` (opens a session), `msg`, or `skmsg` (group sender key). */
  encType: string
  message: proto.IMessage
  timestamp: number
  /** For copies of one's own messages (DSM): the chat the message was sent to. */
  recipient?: string
}

export interface ReceivedReceipt {
  ids: string[]
  /** `delivery` when the stanza had no type. */
  type: string
  from: string
  timestamp: number
}

export interface SendOptions {
  id?: string
  /** Stanza `type`; derived from the content when absent. */
  type?: string
  /** Stanza `edit` attribute (1 edit, 7 revoke), as senders set it for protocol messages. */
  edit?: string
}

const PREKEYS_PUBLISHED = 50

export function newMessageId(): string {
  return `3A${randomBytes(9).toString('hex').toUpperCase()}`
}

export function stanzaType(message: proto.IMessage): string {
  if (message.reactionMessage) return 'reaction'
  if (message.pollCreationMessage || message.pollUpdateMessage) return 'poll'
  const media = ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const
  return media.some((k) => message[k]) ? 'media' : 'text'
}

/** Text of a message whatever its container: conversation, extended text, or a device-sent copy. */
export function textOf(message: proto.IMessage | ReceivedMessage | null | undefined): string | undefined {
  if (!message) return undefined
  const m: proto.IMessage =
    'message' in message && 'encType' in message ? message.message : (message as proto.IMessage)
  const inner = m.deviceSentMessage?.message ?? m
  return inner.conversation ?? inner.extendedTextMessage?.text ?? undefined
}

/** The stanza `mediatype` attribute clients put on `<enc>` for media content. */
function mediaType(message: proto.IMessage): string | undefined {
  if (message.imageMessage) return 'image'
  if (message.videoMessage) return 'video'
  if (message.audioMessage) return message.audioMessage.ptt ? 'ptt' : 'audio'
  if (message.documentMessage) return 'document'
  if (message.stickerMessage) return 'sticker'
  return undefined
}

/**
 * A user whose primary device (device 0) is simulated: it holds a real Signal identity, publishes
 * prekeys on the server, decrypts what it receives and encrypts what it sends.
 */
export class SimulatedUser {
  readonly store: MemorySignalStore
  readonly device: SimDevice
  readonly messages = new Recorder<ReceivedMessage>()
  readonly receipts = new Recorder<ReceivedReceipt>()
  readonly senderKeys = new SenderKeys()
  /**
   * Answer each message from a linked device with a delivery receipt, as a phone that is online
   * does. Off, the contact behaves as offline: receipts only on demand.
   */
  autoDeliveryReceipts = false

  constructor(
    protected readonly ctx: SimContext,
    readonly user: SimUser,
    identity: KeyPair | undefined,
    public addressing: Addressing,
  ) {
    this.store = new MemorySignalStore(identity)
    this.device = user.device(0)
    this.device.keys = this.store.publishedKeys(PREKEYS_PUBLISHED)
    this.device.receiver = (stanza, from) => this.onStanza(stanza, from)
  }

  get jid(): string {
    return this.user.jid
  }

  get lid(): string {
    return this.user.lidJid
  }

  get phoneNumber(): string {
    return this.user.pn
  }

  get pushName(): string {
    return this.user.pushName
  }

  /** How this user's device appears as a sender, according to its addressing mode. */
  protected senderAttrs(from: SimDevice): Record<string, string> {
    return this.addressing === 'lid'
      ? { from: from.lidJid, sender_pn: from.user.jid }
      : { from: from.jid, sender_lid: from.user.lidJid }
  }

  /** Devices of `to` that hold keys: they are the ones a real sender would encrypt for. */
  protected targetDevices(to: string): SimDevice[] {
    const target = this.ctx.network.findUser(to)
    if (!target) throw new Error(`unknown user ${to}`)
    return [...target.devices.values()].filter((d) => d.keys && d !== this.device)
  }

  protected async encryptFor(device: SimDevice, plaintext: Uint8Array) {
    const addr = address(device.user.pn, device.id)
    if (!this.store.hasSession(addr.toString())) {
      const bundle = device.takeBundle()
      if (!bundle) throw new Error(`no keys published for ${device.jid}`)
      await startSession(this.store, addr, bundle)
    }
    return encrypt(this.store, addr, plaintext)
  }

  /** Encrypts `message` for every device of user `to` and delivers it; returns the message id. */
  async sendMessage(to: string, message: proto.IMessage, options: SendOptions = {}): Promise<string> {
    const id = options.id ?? newMessageId()
    const plaintext = proto.Message.encode(message).finish()
    const attrs = {
      ...this.senderAttrs(this.device),
      id,
      t: String(unixNow()),
      type: options.type ?? stanzaType(message),
      notify: this.user.pushName,
      ...(options.edit ? { edit: options.edit } : {}),
    }
    const media = mediaType(message)
    for (const device of this.targetDevices(to)) {
      const { type, ciphertext } = await this.encryptFor(device, plaintext)
      const enc = node('enc', { v: 2, type, mediatype: media }, ciphertext)
      this.ctx.deliver(device, node('message', attrs, [enc]), this.device)
    }
    return id
  }

  /**
   * Sends a receipt for messages `to` wrote: delivery when `type` is absent, or read/played. In a
   * group, pass its jid: the receipt names the group and goes to the author `to`.
   */
  sendReceipt(to: string, ids: string[], type?: 'read' | 'played' | 'read-self', group?: string): void {
    const [first, ...rest] = ids
    if (!first) throw new Error('no message ids')
    const list = rest.length
      ? [
          node(
            'list',
            {},
            rest.map((id) => node('item', { id })),
          ),
        ]
      : undefined
    const self = this.addressing === 'lid' || group ? this.user.lidJid : this.user.jid
    const attrs = group ? { from: group, participant: self } : { from: self }
    const stanza = node('receipt', { ...attrs, id: first, t: unixNow(), type }, list)
    for (const device of this.targetDevices(to)) {
      if (device.companion) this.ctx.deliver(device, stanza, this.device)
    }
  }

  protected async onStanza(stanza: BinaryNode, from: SimDevice): Promise<void> {
    if (stanza.tag === 'receipt') {
      const ids = [
        stanza.attrs.id ?? '',
        ...children(children(stanza, 'list')[0], 'item').map((i) => i.attrs.id ?? ''),
      ]
      this.receipts.push({
        ids,
        type: stanza.attrs.type ?? 'delivery',
        from: from.user.jid,
        timestamp: Number(stanza.attrs.t ?? unixNow()),
      })
      return
    }
    if (stanza.tag !== 'message') return
    const group = isGroup(stanza.attrs.from) ? stanza.attrs.from : undefined
    const sender = address(from.user.pn, from.id)
    // Decrypted in order: a group message's sender key (in a 1:1 envelope) comes before the skmsg.
    for (const enc of children(stanza, 'enc')) {
      const ciphertext = bytes(enc)
      const type = enc.attrs.type ?? ''
      if (!ciphertext) continue
      const plaintext =
        type === 'skmsg' && group
          ? await this.senderKeys.decrypt(group, sender, ciphertext)
          : await decrypt(this.store, sender, type, ciphertext)
      const message = proto.Message.decode(plaintext)
      const distribution = message.senderKeyDistributionMessage
      if (distribution?.groupId && distribution.axolotlSenderKeyDistributionMessage) {
        await this.senderKeys.process(
          distribution.groupId,
          sender,
          distribution.axolotlSenderKeyDistributionMessage,
        )
      }
      this.onMessage(stanza, from, type, message, group)
    }
    if (this.autoDeliveryReceipts && from.companion && stanza.attrs.id && from.user !== this.user) {
      this.sendReceipt(from.user.jid, [stanza.attrs.id], undefined, group)
    }
  }

  protected onMessage(
    stanza: BinaryNode,
    from: SimDevice,
    encType: string,
    message: proto.IMessage,
    group?: string,
  ): void {
    // A sender key distribution alone is plumbing, not a message anyone wrote.
    const {
      senderKeyDistributionMessage: _,
      messageContextInfo: __,
      ...content
    } = proto.Message.toObject(message as proto.Message)
    if (Object.keys(content).length === 0) return
    this.messages.push({
      id: stanza.attrs.id ?? '',
      chat: group ?? stanza.attrs.recipient ?? this.user.jid,
      from: from.user.jid,
      fromDevice: from.jid,
      type: stanza.attrs.type ?? 'text',
      encType,
      message,
      timestamp: Number(stanza.attrs.t ?? unixNow()),
      recipient: stanza.attrs.recipient,
    })
  }

  /** Waits for a message from this user's chats; looks at those already received too. */
  waitForMessage(
    match: (m: ReceivedMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ReceivedMessage> {
    return this.messages.waitFor(match, timeoutMs, `a message to ${this.user.pn}`)
  }

  waitForReceipt(
    match: (r: ReceivedReceipt) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ReceivedReceipt> {
    return this.receipts.waitFor(match, timeoutMs, `a receipt to ${this.user.pn}`)
  }
}
