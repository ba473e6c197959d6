import { deflateSync } from 'node:zlib'
import { proto } from 'baileys'
import type { SimUser } from './network.js'
import { unixNow } from './nodes.js'
import { newMessageId } from './party.js'

/** A past message the phone hands a newly linked device. */
export interface HistoryMessage {
  fromMe: boolean
  text: string
  id?: string
  /** Unix seconds; defaults to a minute apart, ending now. */
  timestamp?: number
}

export interface HistoryChat {
  with: SimUser
  messages: HistoryMessage[]
}

/**
 * The initial history a phone pushes to a companion right after linking: chats with their recent
 * messages and the LID of every correspondent, inlined (deflated) in the notification itself.
 */
export function initialHistory(owner: SimUser, chats: HistoryChat[]): proto.IMessage {
  const now = unixNow()
  const conversations = chats.map((chat): proto.IConversation => {
    const messages = chat.messages.map((m, i): proto.IHistorySyncMsg => {
      const timestamp = m.timestamp ?? now - 60 * (chat.messages.length - i)
      return {
        msgOrderId: i + 1,
        message: {
          key: { remoteJid: chat.with.jid, fromMe: m.fromMe, id: m.id ?? newMessageId() },
          message: { conversation: m.text },
          messageTimestamp: timestamp,
          pushName: m.fromMe ? owner.pushName : chat.with.pushName,
          status: m.fromMe ? proto.WebMessageInfo.Status.READ : proto.WebMessageInfo.Status.DELIVERY_ACK,
        },
      }
    })
    return {
      id: chat.with.jid,
      lidJid: chat.with.lidJid,
      name: chat.with.pushName,
      conversationTimestamp: messages.at(-1)?.message?.messageTimestamp ?? now,
      unreadCount: 0,
      // Newest first, as phones send them.
      messages: messages.reverse(),
    }
  })
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations,
    phoneNumberToLidMappings: chats.map((c) => ({ pnJid: c.with.jid, lidJid: c.with.lidJid })),
    progress: 100,
    chunkOrder: 0,
  }).finish()
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
        initialHistBootstrapInlinePayload: deflateSync(history),
        chunkOrder: 0,
        progress: 100,
      },
    },
  }
}
