import {
  type AnyMessageContent,
  type BinaryNode,
  type Contact,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  makeEventBuffer,
  proto,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageKey,
} from 'baileys'
import pino from 'pino'
import type { BaileysSocket } from '../../../src/engine/baileys/socket.js'

export function closeError(statusCode: number, message = 'Connection Failure'): Error {
  return Object.assign(new Error(message), { output: { statusCode } })
}

export interface SentRecord {
  jid: string
  content: AnyMessageContent
  options: MiscMessageGenerationOptions
}

/**
 * A stand-in for Baileys' socket: its own event buffer (the real one), a scriptable server
 * (`open`, `close`, acknowledgements) and a record of what the engine asked for.
 */
export class FakeSocket implements BaileysSocket {
  readonly ev = makeEventBuffer(pino({ level: 'silent' }))
  user: Contact | undefined
  ended = false
  loggedOut = false
  readonly sent: SentRecord[] = []
  readonly onWhatsAppCalls: string[][] = []
  readonly reads: WAMessageKey[][] = []
  /** How the server answers the next sends. */
  ack: 'ok' | 'error' | 'none' = 'ok'
  lids = new Map<string, string>()
  groups = new Map<string, GroupMetadata>()
  signalRepository = { lidMapping: { getPNForLID: async (lid: string) => this.lids.get(lid) ?? null } }
  private readonly waiting = new Map<string, (node: BinaryNode | undefined) => void>()

  constructor(readonly config: UserFacingSocketConfig) {
    this.user = config.auth.creds.me
    process.nextTick(() => this.ev.emit('connection.update', { connection: 'connecting', qr: undefined }))
  }

  // ── the server's side ───────────────────────────────────────────────────

  showQr(qr: string): void {
    this.ev.emit('connection.update', { qr })
  }

  /** Pairing succeeded: Baileys stores who we are, then the server asks for a restart. */
  pair(me: Contact): void {
    Object.assign(this.config.auth.creds, {
      me,
      account: { details: new Uint8Array([1]) },
      platform: 'android',
    })
    this.ev.emit('creds.update', { me })
  }

  open(): void {
    this.user = this.config.auth.creds.me
    this.ev.emit('connection.update', { connection: 'open' })
  }

  close(statusCode: number, message?: string): Promise<void> {
    return this.end(closeError(statusCode, message))
  }

  // ── the client's side ───────────────────────────────────────────────────

  async end(error: Error | undefined): Promise<void> {
    if (this.ended) return
    this.ended = true
    for (const resolve of this.waiting.values()) resolve(undefined)
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } })
    this.ev.removeAllListeners('connection.update')
    this.ev.destroy()
  }

  async logout(): Promise<void> {
    this.loggedOut = true
    await this.end(closeError(401, 'Intentional Logout'))
  }

  async requestPairingCode(phone: string): Promise<string> {
    return `CODE${phone.slice(-4)}`
  }

  waitForMessage<T>(msgId: string, timeoutMs?: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      // Like Baileys: a timeout answers undefined rather than failing.
      const timer = timeoutMs ? setTimeout(() => this.waiting.get(msgId)?.(undefined), timeoutMs) : undefined
      this.waiting.set(msgId, (node) => {
        clearTimeout(timer)
        this.waiting.delete(msgId)
        resolve(node as T | undefined)
      })
    })
  }

  async sendMessage(jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions = {}) {
    if (this.ended) throw closeError(428, 'Connection Closed')
    this.sent.push({ jid, content, options })
    const id = options.messageId ?? `FAKE${this.sent.length}`
    const message = proto.WebMessageInfo.fromObject({
      key: { remoteJid: jid, fromMe: true, id },
      message: 'text' in content ? { conversation: content.text } : {},
      messageTimestamp: 1705312200,
    }) as WAMessage
    const answer = this.ack
    setImmediate(() => {
      const deliver = this.waiting.get(id)
      if (!deliver || answer === 'none') return
      deliver({
        tag: 'ack',
        attrs:
          answer === 'error'
            ? { id, class: 'message', error: '479' }
            : { id, class: 'message', t: '1705312201' },
      })
    })
    return message
  }

  async onWhatsApp(...phones: string[]) {
    this.onWhatsAppCalls.push(phones)
    // The real query answers only the numbers that exist, sometimes under another spelling.
    return phones
      .filter((phone) => !phone.endsWith('0000'))
      .map((phone) => ({ jid: `${phone.replace(/^55(\d\d)9/, '55$1')}@s.whatsapp.net`, exists: true }))
  }

  async readMessages(keys: WAMessageKey[]): Promise<void> {
    this.reads.push(keys)
  }

  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    return message
  }

  async groupFetchAllParticipating() {
    return Object.fromEntries(this.groups)
  }

  async groupMetadata(jid: string): Promise<GroupMetadata> {
    const group = this.groups.get(jid)
    if (!group) throw closeError(404, 'item-not-found')
    return group
  }

  async groupCreate(subject: string, participants: string[]): Promise<GroupMetadata> {
    const id = `120363${String(this.groups.size + 1).padStart(12, '0')}@g.us`
    const group: GroupMetadata = {
      id,
      subject,
      owner: this.user?.id,
      participants: [
        { id: this.user?.id ?? '', admin: 'superadmin' },
        ...participants.map((p) => ({ id: p, admin: null })),
      ],
    }
    this.groups.set(id, group)
    return group
  }

  async groupUpdateSubject(jid: string, subject: string): Promise<void> {
    const group = await this.groupMetadata(jid)
    group.subject = subject
  }

  async groupUpdateDescription(jid: string, description?: string): Promise<void> {
    const group = await this.groupMetadata(jid)
    group.desc = description
  }

  async groupParticipantsUpdate(jid: string, participants: string[]) {
    await this.groupMetadata(jid)
    return participants.map((p) => ({
      status: p.startsWith('5511999') ? '403' : '200',
      jid: p,
      content: { tag: 'participant', attrs: {} },
    }))
  }

  async groupInviteCode(jid: string): Promise<string | undefined> {
    await this.groupMetadata(jid)
    return 'INVITE1'
  }

  async groupRevokeInvite(jid: string): Promise<string | undefined> {
    await this.groupMetadata(jid)
    return 'INVITE2'
  }

  async groupLeave(jid: string): Promise<void> {
    this.groups.delete(jid)
  }
}

/** A `makeSocket` that keeps every socket it made. */
export function fakeSockets() {
  const made: FakeSocket[] = []
  return {
    made,
    makeSocket: (config: UserFacingSocketConfig) => {
      const sock = new FakeSocket(config)
      made.push(sock)
      return sock
    },
    get last(): FakeSocket {
      const sock = made.at(-1)
      if (!sock) throw new Error('no socket made yet')
      return sock
    },
  }
}
