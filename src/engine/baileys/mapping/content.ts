import { extractMessageContent, type proto } from 'baileys'
import type { MediaInfo, MessageEvent, MessageType } from '../../types.js'
import { longToNumber } from './context.js'

/** What a message says, independent of who sent it where. */
export interface Content {
  type: MessageType
  text?: string
  caption?: string
  media?: MediaInfo
  location?: MessageEvent['location']
  contacts?: MessageEvent['contacts']
  mentions?: string[]
  quotedId?: string
}

/** Content types that are signals about other messages, reported through their own events. */
const NOT_A_MESSAGE = new Set<string>([
  'protocolMessage',
  'reactionMessage',
  'encReactionMessage',
  'pollUpdateMessage',
  'senderKeyDistributionMessage',
  'messageContextInfo',
  'keepInChatMessage',
  'pinInChatMessage',
  'encEventResponseMessage',
])

function media(m: {
  mimetype?: string | null
  fileLength?: number | { low: number } | null
  seconds?: number | null
  width?: number | null
  height?: number | null
  fileName?: string | null
  ptt?: boolean | null
}): MediaInfo {
  const info: MediaInfo = { mimetype: m.mimetype || 'application/octet-stream' }
  const size = longToNumber(m.fileLength)
  if (size) info.size = size
  if (m.seconds) info.seconds = m.seconds
  if (m.width) info.width = m.width
  if (m.height) info.height = m.height
  if (m.fileName) info.fileName = m.fileName
  if (m.ptt) info.ptt = true
  return info
}

function contextOf(content: proto.IMessage, key: string): proto.IContextInfo | undefined {
  const inner = (content as Record<string, unknown>)[key]
  if (inner && typeof inner === 'object' && 'contextInfo' in inner) {
    return (inner as { contextInfo?: proto.IContextInfo | null }).contextInfo ?? undefined
  }
  return undefined
}

function body(c: proto.IMessage, key: string): Omit<Content, 'mentions' | 'quotedId'> | undefined {
  switch (key) {
    case 'conversation':
      return { type: 'text', text: c.conversation ?? '' }
    case 'extendedTextMessage':
      return { type: 'text', text: c.extendedTextMessage?.text ?? '' }
    case 'imageMessage':
      return { type: 'image', caption: c.imageMessage?.caption || undefined, media: media(c.imageMessage!) }
    case 'videoMessage':
    case 'ptvMessage': {
      const video = (c.videoMessage ?? c.ptvMessage)!
      return { type: 'video', caption: video.caption || undefined, media: media(video) }
    }
    case 'audioMessage':
      return { type: 'audio', media: media(c.audioMessage!) }
    case 'documentMessage': {
      const doc = c.documentMessage!
      return { type: 'document', caption: doc.caption || undefined, media: media(doc) }
    }
    case 'stickerMessage':
      return { type: 'sticker', media: media(c.stickerMessage!) }
    case 'locationMessage':
    case 'liveLocationMessage': {
      const loc = (c.locationMessage ?? c.liveLocationMessage)!
      const name = 'name' in loc ? loc.name || undefined : undefined
      const address = 'address' in loc ? loc.address || undefined : undefined
      return {
        type: 'location',
        text: name,
        location: { latitude: loc.degreesLatitude ?? 0, longitude: loc.degreesLongitude ?? 0, name, address },
      }
    }
    case 'contactMessage':
      return {
        type: 'contact',
        text: c.contactMessage?.displayName || undefined,
        contacts: [
          { name: c.contactMessage?.displayName || undefined, vcard: c.contactMessage?.vcard || undefined },
        ],
      }
    case 'contactsArrayMessage':
      return {
        type: 'contact',
        text: c.contactsArrayMessage?.displayName || undefined,
        contacts: (c.contactsArrayMessage?.contacts ?? []).map((one) => ({
          name: one.displayName || undefined,
          vcard: one.vcard || undefined,
        })),
      }
    case 'pollCreationMessage':
    case 'pollCreationMessageV2':
    case 'pollCreationMessageV3': {
      const poll = (c.pollCreationMessage ?? c.pollCreationMessageV2 ?? c.pollCreationMessageV3)!
      return { type: 'poll', text: poll.name ?? '' }
    }
    case 'buttonsResponseMessage':
      return { type: 'text', text: c.buttonsResponseMessage?.selectedDisplayText ?? '' }
    case 'templateButtonReplyMessage':
      return { type: 'text', text: c.templateButtonReplyMessage?.selectedDisplayText ?? '' }
    case 'listResponseMessage':
      return { type: 'text', text: c.listResponseMessage?.title ?? '' }
    default:
      return NOT_A_MESSAGE.has(key) ? undefined : { type: 'unknown' }
  }
}

/**
 * Describes a message's content, or undefined for content that is not a message of its own
 * (revokes, edits, reactions, key distribution: they arrive as their own events).
 */
export function describeContent(message: proto.IMessage | null | undefined): Content | undefined {
  // Unwraps ephemeral, view-once, edited and captioned-document envelopes and templates.
  const content = extractMessageContent(message)
  if (!content) return undefined
  const key = Object.keys(content).find(
    (k) =>
      (k === 'conversation' || k.endsWith('Message')) &&
      !NOT_A_MESSAGE.has(k) &&
      content[k as keyof proto.IMessage],
  )
  // Only signals (a protocol message, a reaction, …): nothing to show as a message.
  if (!key) return undefined
  const described = body(content, key)
  if (!described) return undefined
  const context = contextOf(content, key)
  const result: Content = { ...described }
  if (context?.mentionedJid?.length) result.mentions = [...context.mentionedJid]
  if (context?.stanzaId) result.quotedId = context.stanzaId
  return result
}

/** The text of an edit: the new body or the new caption. */
export function textOf(message: proto.IMessage | null | undefined): string | undefined {
  const content = describeContent(message)
  return content?.text ?? content?.caption
}
