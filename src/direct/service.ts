import type { Static } from '@sinclair/typebox'
import { toChatJid } from '../engine/jid.js'
import type { Engine, MediaKind, SendResult } from '../engine/types.js'
import type { GroupService } from '../groups/service.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, validationError } from '../http/errors.js'
import { engineFailure, type InstanceService } from '../instances/service.js'
import type { InstanceRow } from '../instances/supervisor.js'
import { type MediaFetcher, mimetypeFor } from './media-url.js'
import { chatJidOf, firstOf, requireOneOf } from './recipients.js'
import type * as S from './schemas.js'

export type DirectService = ReturnType<typeof createDirectService>

type Instances = Pick<
  InstanceService,
  'find' | 'engineOf' | 'present' | 'qr' | 'status' | 'reconnect' | 'logout'
>

/**
 * The direct endpoints (DECISIONS §1, §4): one instance, named by the instance host or by the sk_
 * token; each send goes to WhatsApp at once and answers once WhatsApp's server acknowledged it.
 */
export function createDirectService(deps: {
  instances: Instances
  groups: Pick<GroupService, 'list' | 'create' | 'metadata'>
  fetchMedia: MediaFetcher
  /** For the INSTANCE_REQUIRED message: the host that names an instance. */
  baseDomain: string
  /** May refuse a manual send into a chat (409 AUTOMATION_ACTIVE while automation answers it). */
  beforeManualSend?: (instanceId: number, chatJid: string) => Promise<void>
  /** Takes one message of the instance's daily quota, shared with queued sends; false when none is left. */
  takeQuota: (instance: InstanceRow) => Promise<boolean>
}) {
  const { instances } = deps

  /** The bound instance's id: the instance host's, else the sk_ token's. */
  function boundId(auth: AuthContext): number {
    if (auth.instanceId !== null) return auth.instanceId
    throw new AppError(
      'INSTANCE_REQUIRED',
      `This endpoint acts on one instance: call it on the instance host instance-{id}.${deps.baseDomain} ` +
        `(for instance 18: instance-18.${deps.baseDomain}), or authenticate with an instance token (sk_…).`,
    )
  }

  const ref = (auth: AuthContext) => String(boundId(auth))

  /**
   * The instance's engine, refusing when it cannot send (409) and, for messages (not reactions or
   * deletes), when the daily quota is spent (429).
   */
  async function sender(auth: AuthContext, quota: boolean): Promise<{ row: InstanceRow; engine: Engine }> {
    const row = await instances.find(auth, { id: boundId(auth) })
    const engine = await instances.engineOf(auth, row)
    if (engine.getState().status !== 'connected') {
      throw new AppError(
        'INSTANCE_NOT_CONNECTED',
        'The instance is not connected to WhatsApp. Scan its QR code (GET /qr) or reconnect it (POST /reconnect).',
      )
    }
    if (!quota) return { row, engine }
    // Refused early, before a download; the quota itself is taken right before the send.
    if ((await instances.present(row)).remaining_quota <= 0) throw quotaExceeded(row)
    return { row, engine }
  }

  /** Counts the message against the daily quota as it goes to WhatsApp, atomically (429 when spent). */
  async function spendQuota(row: InstanceRow): Promise<void> {
    if (!(await deps.takeQuota(row))) throw quotaExceeded(row)
  }

  function quotaExceeded(row: InstanceRow): AppError {
    return new AppError(
      'QUOTA_EXCEEDED',
      `The instance reached its daily limit of ${row.daily_limit} messages.`,
      { daily_limit: row.daily_limit },
      { extra: { remaining_quota: 0 } },
    )
  }

  async function send(work: () => Promise<SendResult>): Promise<SendResult> {
    try {
      return await work()
    } catch (error) {
      throw engineFailure(error)
    }
  }

  const sent = (result: SendResult, message: string) => ({
    success: true as const,
    message,
    message_id: result.id,
    messageId: result.id,
    timestamp: new Date(result.timestamp).toISOString(),
  })

  /** The message named by `message_id|messageId` in the chat `remote_jid|to`. */
  function messageRef(body: Static<typeof S.DeleteMessageBody>, fromMeDefault: boolean) {
    const messageId = requireOneOf(body, ['message_id', 'messageId']).value
    const chat = requireOneOf(body, ['remote_jid', 'to'])
    const participant = body.participant ? toChatJid(body.participant) : undefined
    if (body.participant && !participant) {
      throw validationError('participant', 'The participant field must be a phone number or JID.')
    }
    return {
      messageId,
      chatJid: chatJidOf(chat.value, chat.name),
      fromMe: body.from_me ?? fromMeDefault,
      ...(participant ? { participant } : {}),
    }
  }

  return {
    async status(auth: AuthContext) {
      const s = await instances.status(auth, ref(auth), false)
      return {
        success: true as const,
        status: s.status,
        connected: s.connected,
        connecting: s.connecting,
        uptime: s.uptime,
        phone: s.phone,
        phoneNumber: s.phoneNumber,
        name: s.name,
        platform: s.platform,
        lastHeartbeat: s.lastHeartbeat,
      }
    },

    async qr(auth: AuthContext) {
      return { success: true as const, ...(await instances.qr(auth, ref(auth))) }
    },

    async sendMessage(auth: AuthContext, body: Static<typeof S.SendMessageBody>) {
      boundId(auth)
      const recipient = requireOneOf(body, ['recipient', 'number', 'to'])
      const to = chatJidOf(recipient.value, recipient.name)
      const quotedId = firstOf(body, ['reply_to', 'quoted_message_id'])?.value
      const { row, engine } = await sender(auth, true)
      await deps.beforeManualSend?.(boundId(auth), to)
      await spendQuota(row)
      const result = await send(() =>
        engine.sendText({ to, text: body.message, ...(quotedId ? { quotedId } : {}) }),
      )
      return sent(result, 'Message sent successfully')
    },

    /** Downloads `media_url|url` (size-capped, public hosts only) and sends it as `media_type|type`. */
    async sendMedia(auth: AuthContext, body: Static<typeof S.SendMediaBody>) {
      boundId(auth)
      const recipient = requireOneOf(body, ['recipient', 'number', 'to'])
      const to = chatJidOf(recipient.value, recipient.name)
      const url = requireOneOf(body, ['media_url', 'url'])
      const kind = requireOneOf(body, ['media_type', 'type']).value as MediaKind
      const quotedId = firstOf(body, ['reply_to', 'quoted_message_id'])?.value
      const { row, engine } = await sender(auth, true)
      await deps.beforeManualSend?.(boundId(auth), to)
      const media = await deps.fetchMedia(url.value, url.name)
      if (media.data.length === 0) {
        throw validationError(url.name, `The file at ${url.name} is empty.`)
      }
      const fileName = body.filename ?? media.fileName
      await spendQuota(row)
      const result = await send(() =>
        engine.sendMedia({
          to,
          kind,
          data: media.data,
          mimetype: mimetypeFor(kind, media, fileName),
          ...(body.caption ? { caption: body.caption } : {}),
          ...(fileName && kind === 'document' ? { fileName } : {}),
          ...(quotedId ? { quotedId } : {}),
        }),
      )
      return sent(result, 'Media sent successfully')
    },

    /** Reacts to a message; an empty emoji takes this instance's reaction back. */
    async sendReaction(auth: AuthContext, body: Static<typeof S.SendReactionBody>) {
      boundId(auth)
      const target = messageRef(body, false)
      const { engine } = await sender(auth, false)
      const result = await send(() => engine.sendReaction({ ...target, emoji: body.emoji }))
      return {
        success: true as const,
        message: body.emoji ? 'Reaction sent successfully' : 'Reaction removed successfully',
        message_id: target.messageId,
        messageId: target.messageId,
        emoji: body.emoji,
        reaction_id: result.id,
        timestamp: new Date(result.timestamp).toISOString(),
      }
    },

    /** Deletes a message for everyone (a revoke); by default one this instance sent. */
    async deleteMessage(auth: AuthContext, body: Static<typeof S.DeleteMessageBody>) {
      boundId(auth)
      const target = messageRef(body, true)
      const { engine } = await sender(auth, false)
      const result = await send(() => engine.revokeMessage(target))
      return {
        success: true as const,
        message: 'Message deleted successfully',
        message_id: target.messageId,
        messageId: target.messageId,
        timestamp: new Date(result.timestamp).toISOString(),
      }
    },

    async groups(auth: AuthContext) {
      const { items } = await deps.groups.list(auth, { id: boundId(auth) })
      return { success: true as const, groups: items }
    },

    async createGroup(auth: AuthContext, body: Static<typeof S.DirectCreateGroupBody>) {
      const group = await deps.groups.create(auth, { id: boundId(auth) }, body.subject, body.participants)
      return { success: true as const, message: 'Group created successfully', group }
    },

    async groupMetadata(auth: AuthContext, jid: string) {
      return { success: true as const, ...(await deps.groups.metadata(auth, { id: boundId(auth) }, jid)) }
    },

    async reconnect(auth: AuthContext) {
      const instance = await instances.reconnect(auth, ref(auth))
      return { success: true as const, message: 'Reconnection started', status: instance.status }
    },

    async logout(auth: AuthContext) {
      const instance = await instances.logout(auth, ref(auth))
      return {
        success: true as const,
        message: 'Logged out; the session was cleared and a new QR scan is needed',
        status: instance.status,
      }
    },
  }
}
