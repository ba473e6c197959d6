import { proto } from 'baileys'
import type { SimContext } from './context.js'
import type { SimUser } from './network.js'
import { type Addressing, SimulatedUser } from './party.js'

/** Identifies a message in a 1:1 chat with `to`: its id and who wrote it. */
export interface MessageRef {
  id: string
  /** True when this contact wrote the message; false when the other side (the client) did. */
  fromMe: boolean
}

/** A WhatsApp user on the simulated network, with a real Signal identity on its phone. */
export class Contact extends SimulatedUser {
  constructor(ctx: SimContext, user: SimUser, addressing: Addressing) {
    super(ctx, user, undefined, addressing)
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
}
