// What the sandbox's control endpoints make happen on the simulated network.

import { EngineError } from '../errors.js'
import type { MediaInfo, MessageEvent } from '../events.js'
import { isGroupJid, normalizePhone, phoneJid, toChatJid } from '../jid.js'
import { broadcastGroup } from './group-ops.js'
import type { Delivery } from './network.js'
import type { SandboxAccount, SandboxSession } from './session.js'

export type SandboxMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker'

export interface SandboxInboundInput {
  /** The contact writing: a phone number or its JID. */
  from: string
  message?: string
  mediaType?: SandboxMediaType
  /** The media bytes (the HTTP layer fetches `media_url` with its own guards). */
  data?: Buffer
  /** Kept on the message; `downloadMedia` fetches it only if the network has `fetchMedia`. */
  mediaUrl?: string
  mimetype?: string
  fileName?: string
  caption?: string
  ptt?: boolean
  pushName?: string
  groupJid?: string
  /** Phones or JIDs mentioned. */
  mentions?: string[]
  /** The WhatsApp id of the message this one answers. */
  replyTo?: string
  /** A WhatsApp id to use, to replay a message that already arrived. */
  id?: string
}

const DEFAULT_MIMETYPE: Record<SandboxMediaType, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
  sticker: 'image/webp',
}

/** Hands something to this instance, now or, while it is offline, at its reconnection. */
function toMe(session: SandboxSession, me: SandboxAccount, delivery: Delivery, bytes?: number): void {
  if (session.network.deliver(me.phone, delivery, { bytes }) === 'none') {
    throw new EngineError('NOT_CONNECTED', 'the sandbox instance is not linked to a number')
  }
}

function contactPhone(from: string, me: SandboxAccount): string {
  const phone = normalizePhone(from)
  if (!phone) throw new EngineError('INVALID_ARGUMENT', `"${from}" is not a phone number`, { from })
  if (phone === me.phone)
    throw new EngineError('INVALID_ARGUMENT', 'a message cannot come from this instance itself')
  return phone
}

function mediaOf(input: SandboxInboundInput): MediaInfo | undefined {
  if (!input.mediaType) return undefined
  if (!input.data && !input.mediaUrl) {
    throw new EngineError('INVALID_ARGUMENT', 'media needs its data or a media URL')
  }
  const ptt = input.mediaType === 'audio' && input.ptt ? true : undefined
  const fileName = input.fileName ?? (input.mediaType === 'document' ? fileNameOf(input.mediaUrl) : undefined)
  return {
    mimetype: input.mimetype ?? (ptt ? 'audio/ogg; codecs=opus' : DEFAULT_MIMETYPE[input.mediaType]),
    fileName,
    size: input.data?.length,
    ptt,
  }
}

function fileNameOf(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const name = new URL(url).pathname.split('/').pop()
    return name ? decodeURIComponent(name) : undefined
  } catch {
    return undefined
  }
}

/** A contact's message reaches this instance; answers its WhatsApp id. */
export function inbound(session: SandboxSession, me: SandboxAccount, input: SandboxInboundInput): string {
  const { network } = session
  const phone = contactPhone(input.from, me)
  const media = mediaOf(input)
  const text = input.message?.length ? input.message : undefined
  if (!text && !media) throw new EngineError('INVALID_ARGUMENT', 'an inbound message needs text or media')
  const chatJid = input.groupJid ? joinGroup(session, me, phone, input.groupJid) : phoneJid(phone)
  const id = input.id ?? network.nextMessageId()
  const mentions = input.mentions?.map(toChatJid).filter((jid): jid is string => !!jid)
  const message: MessageEvent = {
    direction: 'in',
    id,
    chatJid,
    senderJid: phoneJid(phone),
    senderLid: network.lidFor(phone),
    pushName: input.pushName,
    fromMe: false,
    timestamp: network.clock.now(),
    type: media ? input.mediaType! : 'text',
    text: media ? undefined : text,
    caption: media ? (input.caption ?? text) : undefined,
    mentions: mentions?.length ? mentions : undefined,
    quotedId: input.replyTo,
    media,
    isGroup: isGroupJid(chatJid),
    raw: media ? { sandbox: true, data: input.data, url: input.mediaUrl } : undefined,
  }
  network.remember(id, { from: phone, to: isGroupJid(chatJid) ? chatJid : me.jid, outgoing: false })
  const contact = input.pushName
    ? { jid: phoneJid(phone), lid: network.lidFor(phone), phone, pushName: input.pushName }
    : undefined
  toMe(
    session,
    me,
    (peer, queued) => {
      if (contact) peer.receive('contact', contact)
      peer.receive('message', queued ? { ...message, offline: true } : message)
    },
    input.data?.length,
  )
  return id
}

/** Makes sure the group exists with the contact and this instance in it. */
function joinGroup(session: SandboxSession, me: SandboxAccount, phone: string, groupJid: string): string {
  const jid = toChatJid(groupJid)
  if (!jid || !isGroupJid(jid)) throw new EngineError('INVALID_ARGUMENT', `"${groupJid}" is not a group JID`)
  const { groups, clock } = session.network
  const existing = groups.get(jid)
  if (!existing) {
    const group = groups.create(phone, 'Sandbox group', [me.phone], clock.now(), jid)
    broadcastGroup(session, [me.phone], {
      jid,
      action: 'create',
      subject: group.subject,
      author: phoneJid(phone),
      participants: [...group.participants].map(([member, admin]) => ({
        jid: phoneJid(member),
        lid: session.network.lidFor(member),
        phone: member,
        admin,
      })),
    })
    return jid
  }
  for (const member of [phone, me.phone])
    if (!existing.participants.has(member)) existing.participants.set(member, null)
  return jid
}

/** The recipient's phone reports on a message this instance sent. */
export function receipt(
  session: SandboxSession,
  me: SandboxAccount,
  messageId: string,
  status: 'delivered' | 'read' | 'played',
  options: { chatJid?: string; from?: string } = {},
): void {
  const known = session.network.lookup(messageId)
  const chatJid =
    known?.outgoing && known.from === me.phone ? known.to : options.chatJid && toChatJid(options.chatJid)
  if (!chatJid) {
    throw new EngineError('MESSAGE_NOT_FOUND', `no message ${messageId} sent by this instance`, { messageId })
  }
  const from = options.from ? normalizePhone(options.from) : undefined
  const participant = isGroupJid(chatJid) && from ? phoneJid(from) : undefined
  const data = { messageId, chatJid, status, at: session.network.clock.now(), participant }
  toMe(session, me, (peer) => peer.receive('receipt', data))
}

/** A contact reacts (an empty emoji takes the reaction back). */
export function reaction(
  session: SandboxSession,
  me: SandboxAccount,
  from: string,
  messageId: string,
  emoji: string,
): void {
  const phone = contactPhone(from, me)
  const known = session.network.lookup(messageId)
  const chatJid = known && isGroupJid(known.to) ? known.to : phoneJid(phone)
  const data = {
    messageId,
    chatJid,
    reactorJid: phoneJid(phone),
    fromMe: false,
    emoji,
    at: session.network.clock.now(),
  }
  toMe(session, me, (peer) => peer.receive('reaction', data))
}
