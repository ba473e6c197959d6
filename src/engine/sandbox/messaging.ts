import { EngineError } from '../errors.js'
import type { MessageEvent, ReceiptStatus } from '../events.js'
import { isGroupJid, isLidJid, normalizePhone, phoneJid, phoneOfJid, toChatJid } from '../jid.js'
import type { MessageRef, NumberCheck, SendResult } from '../types.js'
import type { SandboxGroup } from './groups.js'
import { type Delivery, isOnWhatsApp } from './network.js'
import type { ReachedRecord } from './record.js'
import type { SandboxAccount, SandboxSession } from './session.js'

/** A chat this instance can write to: a contact's phone or a group it belongs to. */
export interface SandboxTarget {
  jid: string
  phone?: string
  group?: SandboxGroup
}

export function resolveTarget(session: SandboxSession, me: SandboxAccount, to: string): SandboxTarget {
  const jid = toChatJid(to)
  if (!jid || isLidJid(jid)) {
    throw new EngineError('INVALID_RECIPIENT', `"${to}" is not a phone number or chat JID`, { to })
  }
  if (isGroupJid(jid)) {
    const group = session.network.groups.get(jid)
    if (!group) throw new EngineError('GROUP_NOT_FOUND', `group ${jid} does not exist`, { jid })
    if (!group.participants.has(me.phone)) {
      throw new EngineError('FORBIDDEN', `this number is not a participant of ${jid}`, { jid })
    }
    return { jid, group }
  }
  const phone = phoneOfJid(jid)
  if (!phone) throw new EngineError('INVALID_RECIPIENT', `"${to}" is not a phone number or chat JID`, { to })
  if (!isOnWhatsApp(phone)) {
    throw new EngineError('NOT_ON_WHATSAPP', `${phone} is not on WhatsApp`, { phone })
  }
  return { jid, phone }
}

/** The chat of a message as the member `phone` sees it. */
export function chatFor(target: SandboxTarget, sender: SandboxAccount): string {
  return target.group ? target.group.jid : sender.jid
}

/** The other phones a message to `target` reaches. */
export function recipientsOf(session: SandboxSession, target: SandboxTarget, me: SandboxAccount): string[] {
  if (target.group) return session.network.groups.others(target.group, me.phone)
  return target.phone ? [target.phone] : []
}

export interface OutgoingMessage {
  id?: string
  type: MessageEvent['type']
  text?: string
  caption?: string
  mentions?: string[]
  quotedId?: string
  media?: MessageEvent['media']
  data?: Buffer
}

/**
 * Accepts a message on the simulated server: records it, tells the sender (`message` out, `sent`),
 * hands it to sandbox recipients and acknowledges delivery as the settings say. A resend of an id
 * the server has already accepted answers the same result and does nothing else.
 */
export async function sendOutgoing(
  session: SandboxSession,
  me: SandboxAccount,
  target: SandboxTarget,
  message: OutgoingMessage,
): Promise<SendResult> {
  const { network } = session
  const id = message.id ?? network.nextMessageId()
  const mentions = message.mentions?.map(toChatJid).filter((jid): jid is string => !!jid)
  const accepted = await network.accept(
    {
      instanceId: session.instanceId,
      from: me.phone,
      to: target.jid,
      id,
      type: message.type,
      text: message.text,
      caption: message.caption,
      media: message.media,
      at: network.clock.now(),
    },
    message.id === undefined,
  )
  if (accepted.repeated) return { id, timestamp: accepted.at, chatJid: accepted.to }
  const { at } = accepted
  const base = {
    id,
    senderLid: me.lid,
    pushName: me.name,
    timestamp: at,
    type: message.type,
    text: message.text,
    caption: message.caption,
    mentions: mentions?.length ? mentions : undefined,
    quotedId: message.quotedId,
    media: message.media,
    isGroup: !!target.group,
    raw: message.data ? { sandbox: true as const, data: message.data } : undefined,
  }
  session.receive('message', {
    ...base,
    direction: 'out',
    chatJid: target.jid,
    senderJid: me.jid,
    fromMe: true,
  })
  session.receive('receipt', { messageId: id, chatJid: target.jid, status: 'sent', at })

  const delivered = () => receiptToSender(session, me, id, target.jid, 'delivered')
  let simulated = false
  for (const phone of recipientsOf(session, target, me)) {
    const incoming = { ...base, direction: 'in' as const, chatJid: chatFor(target, me), senderJid: me.jid }
    const outcome = network.deliver(
      phone,
      (peer, queued) => peer.receive('message', { ...incoming, fromMe: false, offline: queued || undefined }),
      { onDelivered: target.group ? undefined : delivered, bytes: message.data?.length },
    )
    if (outcome === 'none') simulated = true
  }
  if (target.group || simulated) {
    if (session.settings.autoDeliver)
      session.receive('receipt', { messageId: id, chatJid: target.jid, status: 'delivered', at })
  }
  return { id, timestamp: at, chatJid: target.jid }
}

function receiptToSender(
  session: SandboxSession,
  sender: SandboxAccount,
  messageId: string,
  chatJid: string,
  status: ReceiptStatus,
  participant?: string,
): void {
  const { network } = session
  network.deliver(sender.phone, (peer) =>
    peer.receive('receipt', { messageId, chatJid, status, at: network.clock.now(), participant }),
  )
}

/** Records a reaction, edit or revoke, and shows it to both sides of the chat (once per id, as messages). */
export async function sendAction(
  session: SandboxSession,
  me: SandboxAccount,
  target: SandboxTarget,
  action: Pick<ReachedRecord, 'type' | 'targetId' | 'emoji' | 'text'> & { id?: string },
  show: (chatJid: string, fromMe: boolean) => void,
  showTo: (chatJid: string) => Delivery,
): Promise<SendResult> {
  const { network } = session
  const id = action.id ?? network.nextMessageId()
  const { type, targetId, emoji, text } = action
  const accepted = await network.accept(
    {
      instanceId: session.instanceId,
      from: me.phone,
      to: target.jid,
      id,
      at: network.clock.now(),
      type,
      targetId,
      emoji,
      text,
    },
    action.id === undefined,
  )
  if (accepted.repeated) return { id, timestamp: accepted.at, chatJid: accepted.to }
  const { at } = accepted
  show(target.jid, true)
  for (const phone of recipientsOf(session, target, me)) network.deliver(phone, showTo(chatFor(target, me)))
  return { id, timestamp: at, chatJid: target.jid }
}

/** Read receipts reach the sender when it is a sandbox instance; simulated contacts do not care. */
export function markRead(session: SandboxSession, me: SandboxAccount, keys: MessageRef[]): void {
  for (const key of keys) {
    const known = session.network.lookup(key.messageId)
    if (!known?.outgoing || known.from === me.phone) continue
    const sender = { phone: known.from, jid: phoneJid(known.from) }
    const chatJid = isGroupJid(known.to) ? known.to : me.jid
    const participant = isGroupJid(known.to) ? me.jid : undefined
    receiptToSender(session, { ...sender, lid: '', name: '' }, key.messageId, chatJid, 'read', participant)
  }
}

export function checkNumbers(phones: string[]): NumberCheck[] {
  return phones.map((phone) => {
    const digits = normalizePhone(phone)
    if (!digits) return { phone, exists: false, jid: null }
    return { phone, exists: isOnWhatsApp(digits), jid: phoneJid(digits) }
  })
}
