// Payloads of the events every engine emits. Times are epoch milliseconds; phones are digits only.

import type { ConnectionStatus, GroupParticipantInfo } from './types.js'

export interface QrEvent {
  qr: string
  /** When this QR stops being valid (a new one follows, or the attempt ends). */
  expiresAt: number
}

/**
 * Who reconnects after `disconnected`: the engine is already doing it (`self`), the supervisor
 * should (with backoff), or nobody should (logged out, replaced, forbidden, closed on purpose).
 */
export type ReconnectHint = 'self' | 'supervisor' | 'none'

export interface ConnectionEvent {
  status: ConnectionStatus
  phone?: string
  jid?: string
  lid?: string
  name?: string
  platform?: string
  /** snake_case cause of a disconnect: `connection_lost`, `logged_out`, `replaced`, `qr_timeout`, … */
  reason?: string
  /** WhatsApp's close code (401, 403, 408, 428, 440, 515, …), when there is one. */
  statusCode?: number
  reconnect?: ReconnectHint
}

export type MessageType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'poll'
  | 'reaction'
  | 'unknown'

export interface MediaInfo {
  mimetype: string
  fileName?: string
  size?: number
  seconds?: number
  ptt?: boolean
  width?: number
  height?: number
}

export interface MessageEvent {
  direction: 'in' | 'out'
  /** WhatsApp message id: the key to deduplicate on. */
  id: string
  /** The chat: the contact's phone JID when known (else its LID), or the group JID. */
  chatJid: string
  senderJid: string
  senderLid?: string
  pushName?: string
  fromMe: boolean
  timestamp: number
  type: MessageType
  text?: string
  caption?: string
  mentions?: string[]
  quotedId?: string
  media?: MediaInfo
  location?: { latitude: number; longitude: number; name?: string; address?: string }
  contacts?: { name?: string; vcard?: string }[]
  isGroup: boolean
  /** Sent while this instance was offline (delivered at reconnection). */
  offline?: boolean
  /**
   * The message could not be decrypted yet; the real one arrives later with the same id and
   * must replace this one.
   */
  placeholder?: boolean
  /** Engine-specific original, needed by `downloadMedia`. */
  raw?: unknown
}

export type ReceiptStatus = 'error' | 'pending' | 'sent' | 'delivered' | 'read' | 'played'

export interface ReceiptEvent {
  messageId: string
  chatJid: string
  status: ReceiptStatus
  at: number
  /** In groups, the member this receipt comes from. */
  participant?: string
  /** WhatsApp's error code when `status` is `error`. */
  error?: string
}

export interface ReactionEvent {
  /** The message reacted to. */
  messageId: string
  chatJid: string
  reactorJid: string
  /** Whether this instance reacted. */
  fromMe: boolean
  /** Empty when the reaction was removed. */
  emoji: string
  at: number
}

export interface EditEvent {
  messageId: string
  chatJid: string
  text: string
  fromMe: boolean
  at: number
}

export interface RevokeEvent {
  messageId: string
  chatJid: string
  fromMe: boolean
  at: number
}

export interface ContactEvent {
  jid: string
  lid?: string
  phone?: string
  /** The name saved in this phone's address book. */
  name?: string
  /** The name the contact chose. */
  pushName?: string
  verifiedName?: string
}

export interface LidMappingEvent {
  /** `…@lid` */
  lid: string
  phone: string
}

export type GroupAction = 'create' | 'add' | 'remove' | 'promote' | 'demote' | 'modify' | 'update'

export interface GroupEvent {
  jid: string
  action: GroupAction
  participants: GroupParticipantInfo[]
  author?: string
  subject?: string
  description?: string
  announce?: boolean
  restrict?: boolean
  inviteCode?: string
  at: number
}

export interface EngineEvents {
  qr: QrEvent
  connection: ConnectionEvent
  message: MessageEvent
  receipt: ReceiptEvent
  reaction: ReactionEvent
  edit: EditEvent
  revoke: RevokeEvent
  contact: ContactEvent
  'lid-mapping': LidMappingEvent
  group: GroupEvent
}

export type EngineEventName = keyof EngineEvents

/** One event as a value, for code that queues or maps events. */
export type EngineEventItem = { [K in EngineEventName]: { type: K; data: EngineEvents[K] } }[EngineEventName]
