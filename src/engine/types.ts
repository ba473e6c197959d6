import type { EngineEvents } from './events.js'

export type * from './events.js'

/** Which engine drives an instance. */
export type EngineKind = 'baileys' | 'sandbox'

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'logged_out'

/** What an engine knows about its connection right now (for `GET /status`). */
export interface EngineState {
  status: ConnectionStatus | 'idle'
  /** Digits only, E.164 without `+`. */
  phone?: string
  jid?: string
  lid?: string
  name?: string
  platform?: string
  /** The QR code being shown, while one is. */
  qr?: { qr: string; expiresAt: number }
  /** Epoch ms of the last `connected`. */
  connectedAt?: number
}

/** Every send resolves with this once WhatsApp's server acknowledged the message. */
export interface SendResult {
  /** WhatsApp message id. */
  id: string
  /** Epoch ms. */
  timestamp: number
  /** The chat the message went to, as WhatsApp names it (the canonical JID of a number). */
  chatJid: string
}

interface SendCommon {
  /**
   * A WhatsApp message id chosen beforehand (`engine.generateMessageId()`): store it before sending
   * and retry with the same id, so that a retry after a crash cannot become a second message.
   */
  id?: string
}

/** Details of the message being replied to, so that the reply shows a preview of it. */
export interface QuotedDetails {
  fromMe?: boolean
  /** The sender of the quoted message (needed in groups). */
  senderJid?: string
  text?: string
}

export interface SendTextInput extends SendCommon {
  /** A phone number (any common spelling) or a JID (`…@s.whatsapp.net`, `…@g.us`, `…@lid`). */
  to: string
  text: string
  /** Phone numbers or JIDs mentioned in `text` (as `@5511…`). */
  mentions?: string[]
  quotedId?: string
  quoted?: QuotedDetails
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document'

export interface SendMediaInput extends SendCommon {
  to: string
  kind: MediaKind
  data: Buffer
  mimetype: string
  caption?: string
  fileName?: string
  /** Audio only: send as a voice note. */
  ptt?: boolean
  /** Audio and video: duration, when known. */
  seconds?: number
  mentions?: string[]
  quotedId?: string
  quoted?: QuotedDetails
}

/** Names a message in a chat. */
export interface MessageRef {
  chatJid: string
  messageId: string
  /** Whether the message was sent by this instance. */
  fromMe?: boolean
  /** In groups, the sender of the message when it is not this instance. */
  participant?: string
}

export interface SendReactionInput extends MessageRef, SendCommon {
  /** An empty string removes this instance's reaction. */
  emoji: string
}

export interface EditMessageInput extends SendCommon {
  chatJid: string
  messageId: string
  text: string
}

export type RevokeMessageInput = MessageRef & SendCommon

export interface NumberCheck {
  /** As given. */
  phone: string
  exists: boolean
  /** The canonical JID when the number is on WhatsApp; the JID built from the digits otherwise; null if not a number. */
  jid: string | null
}

export interface GroupParticipantInfo {
  /** Phone JID when known, else the LID. */
  jid: string
  lid?: string
  phone?: string
  admin?: 'admin' | 'superadmin' | null
}

export interface GroupInfo {
  jid: string
  subject: string
  description?: string
  owner?: string
  /** Epoch ms. */
  creation?: number
  size: number
  participants: GroupParticipantInfo[]
  announce?: boolean
  restrict?: boolean
}

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote'

export interface ParticipantUpdateResult {
  jid: string
  /** WhatsApp's per-participant answer: 200 done, 403 not allowed, 404 not on WhatsApp, 408 recently left, 409 already in. */
  status: number
  ok: boolean
}

/** A received message as given by the `message` event; `raw` is what a media download needs. */
export interface DownloadableMessage {
  id: string
  chatJid: string
  raw?: unknown
}

export type EngineListener<K extends keyof EngineEvents> = (event: EngineEvents[K]) => void | Promise<void>

/**
 * One WhatsApp connection. Engines never touch the database: they report what happens through
 * events, and the supervisor decides (persisting, reconnecting with backoff, leases).
 */
export interface Engine {
  readonly kind: EngineKind
  getState(): EngineState

  on<K extends keyof EngineEvents>(event: K, listener: EngineListener<K>): this
  off<K extends keyof EngineEvents>(event: K, listener: EngineListener<K>): this
  once<K extends keyof EngineEvents>(event: K, listener: EngineListener<K>): this

  /** Starts connecting (QR when there is no session). Idempotent while connecting or connected. */
  connect(): Promise<void>
  /** Closes the connection and keeps the session, so that `connect()` needs no QR. */
  disconnect(): Promise<void>
  /** Unlinks the device and wipes the session; a new QR is needed. */
  logout(): Promise<void>
  /** The alternative to a QR: an 8-character code to type on the phone. */
  requestPairingCode(phone: string): Promise<string>

  /** A fresh WhatsApp message id, for `SendCommon.id`. */
  generateMessageId(): string
  sendText(input: SendTextInput): Promise<SendResult>
  sendMedia(input: SendMediaInput): Promise<SendResult>
  sendReaction(input: SendReactionInput): Promise<SendResult>
  editMessage(input: EditMessageInput): Promise<SendResult>
  revokeMessage(input: RevokeMessageInput): Promise<SendResult>
  /** Sends read receipts for received messages. */
  markRead(keys: MessageRef[]): Promise<void>
  checkNumbers(phones: string[]): Promise<NumberCheck[]>

  listGroups(): Promise<GroupInfo[]>
  groupMetadata(jid: string): Promise<GroupInfo>
  createGroup(subject: string, participants: string[]): Promise<GroupInfo>
  updateGroupSubject(jid: string, subject: string): Promise<void>
  updateGroupDescription(jid: string, description: string): Promise<void>
  updateGroupParticipants(
    jid: string,
    participants: string[],
    action: ParticipantAction,
  ): Promise<ParticipantUpdateResult[]>
  groupInviteCode(jid: string): Promise<string>
  /** Invalidates the current invite link and answers the new code. */
  revokeGroupInvite(jid: string): Promise<string>
  leaveGroup(jid: string): Promise<void>

  downloadMedia(message: DownloadableMessage): Promise<Buffer>
}

/** One key row: `value` is the serialized value, or null to delete the row. */
export interface AuthKeyEntry {
  type: string
  id: string
  value: string | null
}

/**
 * Where an instance's WhatsApp session lives (one creds row plus key rows). The supervisor
 * implements it with database rows; values are opaque strings the engine serializes itself.
 */
export interface AuthStateStore {
  /** The serialized creds, or null when the instance has no session. */
  loadCreds(): Promise<string | null>
  saveCreds(creds: string): Promise<void>
  /** The values found; ids without a row are absent from the answer. */
  getKeys(type: string, ids: string[]): Promise<Record<string, string>>
  /** Must resolve only once every entry is durably written (one transaction is best). */
  setKeys(entries: AuthKeyEntry[]): Promise<void>
  /** Deletes the creds and every key. */
  clear(): Promise<void>
}
