import { type AnyMessageContent, downloadMediaMessage, type WAMessage } from 'baileys'
import type { Logger } from 'pino'
import { EngineError } from '../errors.js'
import { EventedEngine } from '../evented.js'
import { normalizePhone, phoneJid, toChatJid } from '../jid.js'
import type {
  DownloadableMessage,
  EditMessageInput,
  GroupInfo,
  MessageRef,
  NumberCheck,
  ParticipantAction,
  ParticipantUpdateResult,
  RevokeMessageInput,
  SendMediaInput,
  SendReactionInput,
  SendResult,
  SendTextInput,
} from '../types.js'
import { statusCodeOf } from './disconnect.js'
import { toEngineError } from './errors.js'
import type { BaileysGroups } from './group-ops.js'
import { normalizeJid } from './mapping/context.js'
import type { BaileysSender } from './sender.js'
import type { BaileysSocket } from './socket.js'

function mentionJids(mentions: string[] | undefined): string[] | undefined {
  const jids = mentions?.map(toChatJid).filter((jid): jid is string => !!jid)
  return jids?.length ? jids : undefined
}

function chat(jid: string): string {
  const chatJid = toChatJid(jid)
  if (!chatJid)
    throw new EngineError('INVALID_RECIPIENT', `"${jid}" is not a phone number or chat JID`, { jid })
  return chatJid
}

function mediaContent(input: SendMediaInput): AnyMessageContent {
  const mentions = mentionJids(input.mentions)
  switch (input.kind) {
    case 'image':
      return { image: input.data, mimetype: input.mimetype, caption: input.caption, mentions }
    case 'video':
      return { video: input.data, mimetype: input.mimetype, caption: input.caption, mentions }
    case 'audio':
      return { audio: input.data, mimetype: input.mimetype, ptt: !!input.ptt, seconds: input.seconds }
    case 'document':
      return {
        document: input.data,
        mimetype: input.mimetype,
        fileName: input.fileName ?? 'file',
        caption: input.caption,
      }
  }
}

/** The Baileys engine's sending, reading and group operations, on top of an open socket. */
export abstract class BaileysOperations extends EventedEngine {
  protected abstract readonly sender: BaileysSender
  protected abstract readonly groups: BaileysGroups
  protected abstract readonly log: Logger
  /** The socket of an open connection; throws NOT_CONNECTED otherwise. */
  protected abstract openSocket(): BaileysSocket
  protected abstract currentSocket(): BaileysSocket | undefined

  generateMessageId(): string {
    return this.sender.messageId(this.currentSocket())
  }

  async sendText(input: SendTextInput): Promise<SendResult> {
    const sock = this.openSocket()
    if (!input.text) throw new EngineError('INVALID_ARGUMENT', 'a text message cannot be empty')
    const jid = await this.sender.recipient(sock, input.to)
    const quoted = await this.sender.quoted(jid, input.quotedId, input.quoted)
    return this.sender.send(
      sock,
      jid,
      { text: input.text, mentions: mentionJids(input.mentions) },
      { id: input.id, quoted },
    )
  }

  async sendMedia(input: SendMediaInput): Promise<SendResult> {
    const sock = this.openSocket()
    if (!input.data.length) throw new EngineError('INVALID_ARGUMENT', 'the media is empty')
    const jid = await this.sender.recipient(sock, input.to)
    const quoted = await this.sender.quoted(jid, input.quotedId, input.quoted)
    return this.sender.send(sock, jid, mediaContent(input), { id: input.id, quoted })
  }

  async sendReaction(input: SendReactionInput): Promise<SendResult> {
    const sock = this.openSocket()
    const jid = chat(input.chatJid)
    const key = {
      remoteJid: jid,
      id: input.messageId,
      fromMe: input.fromMe ?? false,
      participant: input.participant,
    }
    return this.sender.send(sock, jid, { react: { text: input.emoji, key } }, { id: input.id })
  }

  async editMessage(input: EditMessageInput): Promise<SendResult> {
    const sock = this.openSocket()
    if (!input.text) throw new EngineError('INVALID_ARGUMENT', 'an edit cannot be empty')
    const jid = chat(input.chatJid)
    const edit = { remoteJid: jid, id: input.messageId, fromMe: true }
    return this.sender.send(sock, jid, { text: input.text, edit }, { id: input.id })
  }

  async revokeMessage(input: RevokeMessageInput): Promise<SendResult> {
    const sock = this.openSocket()
    const jid = chat(input.chatJid)
    const key = {
      remoteJid: jid,
      id: input.messageId,
      fromMe: input.fromMe ?? true,
      participant: input.participant,
    }
    return this.sender.send(sock, jid, { delete: key }, { id: input.id })
  }

  async markRead(keys: MessageRef[]): Promise<void> {
    const sock = this.openSocket()
    const waKeys = keys.map((key) => ({
      remoteJid: chat(key.chatJid),
      id: key.messageId,
      fromMe: false,
      participant: key.participant ? chat(key.participant) : undefined,
    }))
    if (!waKeys.length) return
    await sock.readMessages(waKeys).catch((error: unknown) => {
      throw toEngineError(error)
    })
  }

  async checkNumbers(phones: string[]): Promise<NumberCheck[]> {
    const sock = this.openSocket()
    const digits = phones.map((phone) => normalizePhone(phone))
    const valid = [...new Set(digits.filter((d): d is string => !!d))]
    const ask = async (numbers: string[]) => {
      const results = await sock.onWhatsApp(...numbers).catch((error: unknown) => {
        throw toEngineError(error)
      })
      return (results ?? []).filter((r) => r.exists).map((r) => normalizeJid(r.jid) ?? r.jid)
    }
    const found = new Map<string, string>()
    const answered = valid.length ? await ask(valid) : []
    for (const jid of answered) found.set(jid.split('@')[0] ?? '', jid)
    // WhatsApp may answer under another spelling of a number (Brazil's ninth digit): the batch
    // answer cannot be matched to the question, so ask those numbers one by one.
    const unmatched = valid.filter((d) => !found.has(d))
    if (answered.length > valid.length - unmatched.length) {
      for (const d of unmatched) {
        const [jid] = await ask([d])
        if (jid) found.set(d, jid)
      }
    }
    return phones.map((phone, i) => {
      const d = digits[i]
      if (!d) return { phone, exists: false, jid: null }
      const jid = found.get(d)
      return { phone, exists: !!jid, jid: jid ?? phoneJid(d) }
    })
  }

  listGroups(): Promise<GroupInfo[]> {
    return this.groups.list(this.openSocket())
  }

  groupMetadata(jid: string): Promise<GroupInfo> {
    return this.groups.metadata(this.openSocket(), jid)
  }

  createGroup(subject: string, participants: string[]): Promise<GroupInfo> {
    return this.groups.create(this.openSocket(), subject, participants)
  }

  updateGroupSubject(jid: string, subject: string): Promise<void> {
    return this.groups.update(this.openSocket(), jid, { subject })
  }

  updateGroupDescription(jid: string, description: string): Promise<void> {
    return this.groups.update(this.openSocket(), jid, { description })
  }

  updateGroupParticipants(
    jid: string,
    participants: string[],
    action: ParticipantAction,
  ): Promise<ParticipantUpdateResult[]> {
    return this.groups.participants(this.openSocket(), jid, participants, action)
  }

  groupInviteCode(jid: string): Promise<string> {
    return this.groups.inviteCode(this.openSocket(), jid, false)
  }

  revokeGroupInvite(jid: string): Promise<string> {
    return this.groups.inviteCode(this.openSocket(), jid, true)
  }

  leaveGroup(jid: string): Promise<void> {
    return this.groups.leave(this.openSocket(), jid)
  }

  /** Needs the `raw` of a `message` event; an expired link is re-requested while connected. */
  async downloadMedia(message: DownloadableMessage): Promise<Buffer> {
    const raw = message.raw as WAMessage | undefined
    if (!raw?.message) {
      throw new EngineError('MEDIA_UNAVAILABLE', `message ${message.id} carries no media`, {
        messageId: message.id,
      })
    }
    const sock = this.currentSocket()
    const ctx = sock
      ? { reuploadRequest: (m: WAMessage) => sock.updateMediaMessage(m), logger: this.log }
      : undefined
    try {
      return await downloadMediaMessage(raw, 'buffer', {}, ctx)
    } catch (error) {
      const status = statusCodeOf(error) ?? (error as { status?: number }).status
      const gone =
        status === 404 || status === 410 || /not a media message|no message present/i.test(String(error))
      if (gone) {
        throw new EngineError(
          'MEDIA_UNAVAILABLE',
          `the media of ${message.id} cannot be downloaded`,
          { messageId: message.id },
          { cause: error },
        )
      }
      throw toEngineError(error, { messageId: message.id })
    }
  }
}
