import { proto } from 'baileys'
import { address } from './cipher.js'
import type { SimContext } from './context.js'
import { isGroup } from './jid.js'
import type { MediaKind } from './media-crypto.js'
import { buildMediaMessage, downloadMedia, type MediaOptions } from './media-message.js'
import type { SimUser } from './network.js'
import { type BinaryNode, node, unixNow } from './nodes.js'
import {
  type Addressing,
  newMessageId,
  type ReceivedMessage,
  type SendOptions,
  SimulatedUser,
  stanzaType,
} from './party.js'

/** Identifies a message in a 1:1 chat with `to`: its id and who wrote it. */
export interface MessageRef {
  id: string
  /** True when this contact wrote the message; false when the other side (the client) did. */
  fromMe: boolean
}

/** A WhatsApp user on the simulated network, with a real Signal identity on its phone. */
export class Contact extends SimulatedUser {
  /** Group/device pairs that already hold this contact's sender key. */
  private readonly distributedTo = new Set<string>()

  constructor(ctx: SimContext, user: SimUser, addressing: Addressing, autoDeliveryReceipts = true) {
    super(ctx, user, undefined, addressing)
    this.autoDeliveryReceipts = autoDeliveryReceipts
  }

  /** The key the message has in this contact's chat with `chat`, as its own client would write it. */
  private key(chat: string, ref: MessageRef): proto.IMessageKey {
    return { remoteJid: chat, fromMe: ref.fromMe, id: ref.id }
  }

  sendText(to: string, text: string): Promise<string> {
    return this.sendMessage(to, { conversation: text })
  }

  react(to: string, ref: MessageRef, emoji: string): Promise<string> {
    return this.sendMessage(to, {
      reactionMessage: { key: this.key(to, ref), text: emoji, senderTimestampMs: Date.now() },
    })
  }

  /** Edits a text this contact sent earlier. */
  edit(to: string, id: string, text: string): Promise<string> {
    return this.sendMessage(
      to,
      {
        protocolMessage: {
          key: this.key(to, { id, fromMe: true }),
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          editedMessage: { conversation: text },
          timestampMs: Date.now(),
        },
      },
      { edit: '1' },
    )
  }

  /** Deletes for everyone a message this contact sent earlier. */
  revoke(to: string, id: string): Promise<string> {
    return this.sendMessage(
      to,
      {
        protocolMessage: {
          key: this.key(to, { id, fromMe: true }),
          type: proto.Message.ProtocolMessage.Type.REVOKE,
        },
      },
      { edit: '7' },
    )
  }

  /**
   * Writes to a group as real clients do: the content is encrypted once with this contact's sender
   * key; members' devices that do not have that key yet get it in a 1:1 envelope alongside.
   */
  async sendGroupMessage(
    groupJid: string,
    message: proto.IMessage,
    options: SendOptions = {},
  ): Promise<string> {
    const group = this.ctx.groups.find(groupJid)
    if (!group?.participants.has(this.user)) throw new Error(`${this.user.pn} is not in ${groupJid}`)
    const id = options.id ?? newMessageId()
    const self = address(this.user.pn, this.device.id)
    // The distribution message comes first: it creates the sender key on first use.
    const distribution = proto.Message.encode({
      senderKeyDistributionMessage: {
        groupId: groupJid,
        axolotlSenderKeyDistributionMessage: await this.senderKeys.distribution(groupJid, self),
      },
    }).finish()
    const skmsg = await this.senderKeys.encrypt(groupJid, self, proto.Message.encode(message).finish())
    const lid = group.addressingMode === 'lid'
    const attrs = {
      from: groupJid,
      participant: lid ? this.user.lidJid : this.user.jid,
      id,
      t: unixNow(),
      type: options.type ?? stanzaType(message),
      notify: this.user.pushName,
      addressing_mode: group.addressingMode,
      ...(lid ? { participant_pn: this.user.jid } : { participant_lid: this.user.lidJid }),
    }
    for (const device of this.ctx.groups.memberDevices(group, this.device)) {
      const content: BinaryNode[] = []
      const key = `${groupJid} ${device.jid}`
      if (!this.distributedTo.has(key)) {
        const { type, ciphertext } = await this.encryptFor(device, distribution)
        content.push(node('enc', { v: 2, type }, ciphertext))
        this.distributedTo.add(key)
      }
      content.push(node('enc', { v: 2, type: 'skmsg' }, skmsg))
      this.ctx.deliver(device, node('message', attrs, content), this.device)
    }
    return id
  }

  sendGroupText(groupJid: string, text: string): Promise<string> {
    return this.sendGroupMessage(groupJid, { conversation: text })
  }

  /** Sends media (encrypted and stored on the simulator's media server) to `to` or a group. */
  sendMedia(to: string, kind: MediaKind, data: Uint8Array, options: MediaOptions = {}): Promise<string> {
    const message = buildMediaMessage(this.ctx.media, kind, data, options)
    return isGroup(to) ? this.sendGroupMessage(to, message) : this.sendMessage(to, message)
  }

  sendImage(to: string, data: Uint8Array, options: MediaOptions = {}): Promise<string> {
    return this.sendMedia(to, 'image', data, options)
  }

  /** Downloads and decrypts the media of a message this contact received. */
  downloadMedia(received: ReceivedMessage): { kind: MediaKind; data: Buffer } {
    return downloadMedia(this.ctx.media, received.message)
  }

  /** Marks messages received from `to` as delivered, read or played. */
  markDelivered(to: string, ids: string[]): void {
    this.sendReceipt(to, ids)
  }

  markRead(to: string, ids: string[]): void {
    this.sendReceipt(to, ids, 'read')
  }

  markPlayed(to: string, ids: string[]): void {
    this.sendReceipt(to, ids, 'played')
  }

  /** Marks as read messages `author` wrote in group `groupJid`. */
  markGroupRead(groupJid: string, author: string, ids: string[]): void {
    this.sendReceipt(author, ids, 'read', groupJid)
  }
}
