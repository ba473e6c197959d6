import { isJidGroup, type MessageUpsertType, proto, type WAMessage, type WAMessageKey } from 'baileys'
import type { EngineEventItem, MessageEvent, ReceiptStatus } from '../../types.js'
import { describeContent } from './content.js'
import {
  isIgnoredChat,
  lidPair,
  longToNumber,
  type MapContext,
  normalizeJid,
  preferPhone,
  secondsToMs,
} from './context.js'

const { StubType, Status } = proto.WebMessageInfo

/** `proto.WebMessageInfo.Status` 0…5 in engine terms. */
export function statusName(status: number | null | undefined): ReceiptStatus | undefined {
  switch (status) {
    case Status.ERROR:
      return 'error'
    case Status.PENDING:
      return 'pending'
    case Status.SERVER_ACK:
      return 'sent'
    case Status.DELIVERY_ACK:
      return 'delivered'
    case Status.READ:
      return 'read'
    case Status.PLAYED:
      return 'played'
    default:
      return undefined
  }
}

export function chatOf(key: WAMessageKey): { jid?: string; lid?: string } {
  return preferPhone(key.remoteJid, key.remoteJidAlt)
}

export function senderOf(
  key: WAMessageKey,
  ctx: MapContext,
  participant?: string | null,
): { jid?: string; lid?: string } {
  if (key.fromMe) return { jid: ctx.meJid, lid: ctx.meLid }
  if (isJidGroup(key.remoteJid ?? undefined))
    return preferPhone(key.participant ?? participant, key.participantAlt)
  return chatOf(key)
}

/**
 * A Baileys message as an engine `message` event; undefined for what is not a message of its own
 * (protocol messages, reactions, group notifications: they come as other events).
 */
export function mapMessage(
  msg: WAMessage,
  ctx: MapContext,
  upsertType?: MessageUpsertType,
): MessageEvent | undefined {
  const key = msg.key
  if (!key?.id || isIgnoredChat(key.remoteJid)) return undefined
  // A message that failed to decrypt: shown as a placeholder until the real one replaces it.
  const placeholder = msg.messageStubType === StubType.CIPHERTEXT
  if (msg.messageStubType && !placeholder) return undefined
  const content = placeholder ? { type: 'unknown' as const } : describeContent(msg.message)
  if (!content) return undefined
  const chat = chatOf(key)
  const sender = senderOf(key, ctx, msg.participant)
  if (!chat.jid) return undefined
  const fromMe = !!key.fromMe
  const event: MessageEvent = {
    direction: fromMe ? 'out' : 'in',
    id: key.id,
    chatJid: chat.jid,
    senderJid: sender.jid ?? chat.jid,
    fromMe,
    timestamp: secondsToMs(msg.messageTimestamp) ?? ctx.now(),
    isGroup: !!isJidGroup(chat.jid),
    ...content,
    raw: msg,
  }
  if (content.mentions) event.mentions = content.mentions.map((jid) => normalizeJid(jid) ?? jid)
  if (sender.lid) event.senderLid = sender.lid
  if (msg.pushName && !fromMe) event.pushName = msg.pushName
  if (placeholder) event.placeholder = true
  if (upsertType === 'append' && !fromMe) event.offline = true
  return event
}

/** `messages.upsert`, both `notify` and `append`. */
export function mapUpsert(
  payload: { messages: WAMessage[]; type: MessageUpsertType },
  ctx: MapContext,
): EngineEventItem[] {
  const items: EngineEventItem[] = []
  for (const msg of payload.messages) {
    const key = msg.key
    if (!key?.id || isIgnoredChat(key.remoteJid)) continue
    const chat = chatOf(key)
    if (!chat.jid) continue
    items.push(...lidPair(chat.lid, chat.jid))
    const sender = senderOf(key, ctx, msg.participant)
    if (!key.fromMe && sender.jid !== chat.jid) items.push(...lidPair(sender.lid, sender.jid))
    // The event buffer merges updates into an upsert seen in the same batch: unfold them.
    if (msg.messageStubType === StubType.REVOKE) {
      items.push({
        type: 'revoke',
        data: { messageId: key.id, chatJid: chat.jid, fromMe: !!key.fromMe, at: ctx.now() },
      })
      continue
    }
    const message = mapMessage(msg, ctx, payload.type)
    if (!message) continue
    items.push({ type: 'message', data: message })
    const status = statusName(msg.status)
    if (message.fromMe && status && status !== 'pending') {
      items.push({
        type: 'receipt',
        data: { messageId: key.id, chatJid: chat.jid, status, at: message.timestamp },
      })
    }
    for (const reaction of msg.reactions ?? []) {
      items.push(...mapReaction({ key, reaction }, ctx))
    }
    for (const receipt of msg.userReceipt ?? []) {
      items.push(...mapUserReceipt({ key, receipt }, ctx))
    }
  }
  return items
}

/** `messages.reaction`: `key` names the message reacted to, `reaction.key` the reaction itself. */
export function mapReaction(
  input: { key: WAMessageKey; reaction: proto.IReaction },
  ctx: MapContext,
): EngineEventItem[] {
  const { key, reaction } = input
  const chat = chatOf(key)
  if (!key.id || !chat.jid || isIgnoredChat(chat.jid)) return []
  const reactorKey = (reaction.key ?? {}) as WAMessageKey
  const fromMe = !!reactorKey.fromMe
  const reactor = fromMe
    ? { jid: ctx.meJid }
    : reactorKey.participant
      ? preferPhone(reactorKey.participant, reactorKey.participantAlt)
      : preferPhone(reactorKey.remoteJid ?? key.remoteJid, reactorKey.remoteJidAlt ?? key.remoteJidAlt)
  return [
    {
      type: 'reaction',
      data: {
        messageId: key.id,
        chatJid: chat.jid,
        reactorJid: reactor.jid ?? chat.jid,
        fromMe,
        emoji: reaction.text ?? '',
        at: longToNumber(reaction.senderTimestampMs) ?? ctx.now(),
      },
    },
  ]
}

/** `message-receipt.update`: a group member's delivery, read or play of one of our messages. */
export function mapUserReceipt(
  input: { key: WAMessageKey; receipt: proto.IUserReceipt },
  ctx: MapContext,
): EngineEventItem[] {
  const { key, receipt } = input
  const chat = chatOf(key)
  if (!key.id || !chat.jid) return []
  const [status, seconds]: [ReceiptStatus, unknown] = receipt.playedTimestamp
    ? ['played', receipt.playedTimestamp]
    : receipt.readTimestamp
      ? ['read', receipt.readTimestamp]
      : ['delivered', receipt.receiptTimestamp]
  const data = {
    messageId: key.id,
    chatJid: chat.jid,
    status,
    at: secondsToMs(seconds as number) ?? ctx.now(),
    participant: normalizeJid(receipt.userJid),
  }
  return [{ type: 'receipt', data }]
}
