import {
  type AnyMessageContent,
  type BinaryNode,
  generateMessageIDV2,
  jidNormalizedUser,
  type proto,
  type WAMessage,
  type WAMessageKey,
} from 'baileys'
import { EngineError } from '../errors.js'
import { isGroupJid, isLidJid, phoneOfJid, toChatJid } from '../jid.js'
import { LruMap } from '../lru.js'
import type { QuotedDetails, SendResult } from '../types.js'
import { toEngineError } from './errors.js'
import { secondsToMs } from './mapping/context.js'
import type { BaileysSocket } from './socket.js'

export interface SenderOptions {
  /** How long to wait for the server's acknowledgement of a message. */
  ackTimeoutMs: number
  /** Ask WhatsApp whether a number exists (and its canonical JID) before the first send to it. */
  verifyRecipients: boolean
  /** The application's own message store, for retries and quotes of older messages. */
  getMessage?: (key: WAMessageKey) => Promise<proto.IMessage | undefined>
  now: () => number
  /** Called with the `sent` receipt once a message is acknowledged. */
  onSent: (receipt: { messageId: string; chatJid: string; at: number }) => void
}

const KNOWN_FOR_MS = 24 * 60 * 60_000
const UNKNOWN_FOR_MS = 10 * 60_000

/**
 * Sends through a socket and resolves only on the server's acknowledgement. Keeps two small
 * caches: recent messages (for quoting and for Baileys' retry requests) and number checks.
 */
export class BaileysSender {
  private readonly recent = new LruMap<string, WAMessage>(256)
  private readonly numbers = new LruMap<string, { jid?: string; until: number }>(1_000)

  constructor(private readonly options: SenderOptions) {}

  messageId(sock: BaileysSocket | undefined): string {
    return generateMessageIDV2(sock?.user?.id)
  }

  remember(message: WAMessage): void {
    if (message.key?.id && message.message) this.recent.set(message.key.id, message)
  }

  /** Baileys' `getMessage`: what a recipient asks again when it could not decrypt. */
  async getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined> {
    const known = key.id ? this.recent.peek(key.id)?.message : undefined
    return known ?? (await this.options.getMessage?.(key))
  }

  forget(): void {
    this.recent.clear()
    this.numbers.clear()
  }

  /** The JID to send to; for numbers, the canonical one WhatsApp answers (or NOT_ON_WHATSAPP). */
  async recipient(sock: BaileysSocket, to: string): Promise<string> {
    const jid = toChatJid(to)
    if (!jid) throw new EngineError('INVALID_RECIPIENT', `"${to}" is not a phone number or chat JID`, { to })
    const phone = phoneOfJid(jid)
    if (!phone || isGroupJid(jid) || isLidJid(jid) || !this.options.verifyRecipients) return jid
    const now = this.options.now()
    let known = this.numbers.get(phone)
    if (!known || known.until <= now) {
      const results = await sock.onWhatsApp(phone).catch((error: unknown) => {
        throw toEngineError(error, { phone })
      })
      const found = results?.find((result) => result.exists)
      known = found
        ? { jid: jidNormalizedUser(found.jid), until: now + KNOWN_FOR_MS }
        : { until: now + UNKNOWN_FOR_MS }
      this.numbers.set(phone, known)
    }
    if (!known.jid) throw new EngineError('NOT_ON_WHATSAPP', `${phone} is not on WhatsApp`, { phone })
    return known.jid
  }

  /** The message a reply quotes: known here, in the application's store, or rebuilt from details. */
  async quoted(
    chatJid: string,
    id: string | undefined,
    details: QuotedDetails = {},
  ): Promise<WAMessage | undefined> {
    if (!id) return undefined
    const known = this.recent.peek(id)
    if (known) return known
    const key: WAMessageKey = { remoteJid: chatJid, id, fromMe: details.fromMe ?? false }
    if (details.senderJid && isGroupJid(chatJid))
      key.participant = toChatJid(details.senderJid) ?? details.senderJid
    const message = (await this.options.getMessage?.(key)) ?? { conversation: details.text ?? '' }
    return { key, message }
  }

  async send(
    sock: BaileysSocket,
    jid: string,
    content: AnyMessageContent,
    options: { id?: string; quoted?: WAMessage } = {},
  ): Promise<SendResult> {
    const id = options.id ?? this.messageId(sock)
    // Listening before sending: the acknowledgement carries the message id.
    const ack = sock.waitForMessage<BinaryNode>(id, this.options.ackTimeoutMs)
    let sent: WAMessage | undefined
    try {
      sent = await sock.sendMessage(jid, content, { messageId: id, quoted: options.quoted })
    } catch (error) {
      ack.catch(() => {})
      throw toEngineError(error, { id, jid })
    }
    const node = await ack.catch((error: unknown) => {
      throw toEngineError(error, { id, jid })
    })
    if (!node)
      throw new EngineError('TIMEOUT', 'WhatsApp did not acknowledge the message in time', { id, jid })
    if (node.tag === 'ack' && node.attrs.error) {
      throw new EngineError('SEND_REJECTED', `WhatsApp refused the message (error ${node.attrs.error})`, {
        id,
        jid,
        error: node.attrs.error,
      })
    }
    if (sent) this.remember(sent)
    const at = secondsToMs(Number(node.attrs.t)) ?? secondsToMs(sent?.messageTimestamp) ?? this.options.now()
    this.options.onSent({ messageId: id, chatJid: jid, at })
    return { id, timestamp: at, chatJid: jid }
  }
}
