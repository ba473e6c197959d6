import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import { parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { isGroupJid, normalizePhone, phoneJid, toChatJid } from '../engine/jid.js'
import type { MediaKind } from '../engine/types.js'
import { type AuthContext, actorName } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import { engineFailure, type InstanceService } from '../instances/service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef, randomHex } from '../lib/ids.js'
import type { Attachment, MediaService } from '../media/service.js'
import { createQueueWriter } from './queue-writer.js'
import type { MessageRow } from './repository.js'
import * as repo from './repository.js'
import type { Sender } from './sender.js'

export const MAX_TEXT = 4096

/** Where the day, the week (ISO: from Monday) and the month of `now` start, in UTC. */
export function periodStarts(now: Date): repo.StatsPeriods {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const week = day - ((now.getUTCDay() + 6) % 7) * 86_400_000
  const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
  const iso = (ms: number) => new Date(ms).toISOString()
  return { day: iso(day), week: iso(week), month: iso(month) }
}

/** A WhatsApp message id in the style WhatsApp Web uses, chosen before the first send attempt. */
export function newWhatsappId(): string {
  return `3EB0${randomHex(8).toUpperCase()}`
}

export interface SendTextInput {
  instance?: string | undefined
  recipient: string
  message: string
  reply_to?: string | undefined
  schedule_at?: string | undefined
  mentions?: string[] | undefined
}

export interface SendMediaInput extends Omit<SendTextInput, 'message'> {
  /** An upload's id or uuid, or a URL to fetch now (`field` names it in errors). */
  media_id?: string | undefined
  media_url?: { value: string; field: string } | undefined
  media_type?: MediaKind | undefined
  caption?: string | undefined
  filename?: string | undefined
}

/** What a queued message carries: its text, or a file prepared once the send is known to be allowed. */
interface Content {
  type: string
  body: string | null
  caption: string | null
  preview: string
  media: Attachment | null
}

/** A check that may veto a send into a chat (the automation handover vetoes manual ones). */
export type SendGuard = (
  auth: AuthContext,
  chat: { instanceId: number; chatJid: string },
  /** Where the message comes from: api, scheduled, automation, chat… */
  source: string,
) => Promise<void>

export type MessageService = ReturnType<typeof createMessageService>

export function createMessageService(deps: {
  db: Kysely<DB>
  clock: Clock
  instances: InstanceService
  contacts: ContactService
  conversations: ConversationService
  sender: Sender
  media: Pick<MediaService, 'attach' | 'messageFile'>
  expiryHours: number
  guards: SendGuard[]
}) {
  const { db, clock, instances, sender } = deps
  const writer = createQueueWriter({
    db,
    clock,
    contacts: deps.contacts,
    conversations: deps.conversations,
    onQueued: (instanceId) => sender.wake(instanceId),
  })
  const nowIso = () => clock.now().toISOString()

  /** The quota's day: UTC. */
  const today = () => clock.now().toISOString().slice(0, 10)

  async function resolveInstance(auth: AuthContext, ref: string | undefined) {
    if (ref !== undefined) return instances.find(auth, ref)
    if (auth.instanceId !== null) return instances.find(auth, { id: auth.instanceId })
    throw validationError('instance_id', 'The instance_id field is required.')
  }

  /** A message named by its uuid or integer id, if the caller may see it. */
  async function find(auth: AuthContext, ref: string): Promise<MessageRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findMessage(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id)) throw notFound('Message')
    return row
  }

  /** `reply_to`: a message's uuid, integer id or WhatsApp id, in the same instance. */
  async function quotedId(instanceId: number, tenantId: number, ref: string): Promise<string> {
    const parsed = parseEntityRef(ref)
    const row = parsed
      ? await repo.findMessage(db, tenantId, parsed)
      : await repo.findByWhatsappId(db, instanceId, ref)
    if (!row || row.instance_id !== instanceId || !row.whatsapp_message_id) {
      throw validationError('reply_to', 'The message to reply to was not found in this instance.')
    }
    return row.whatsapp_message_id
  }

  function chatOf(recipient: string): { jid: string; phone: string | null } {
    const jid = toChatJid(recipient)
    if (!jid)
      throw validationError(
        'recipient',
        'The recipient must be a phone number (e.g. +15551234567) or a WhatsApp JID.',
      )
    if (isGroupJid(jid)) return { jid, phone: null }
    const phone = normalizePhone(recipient)
    return { jid: phone ? phoneJid(phone) : jid, phone: phone ?? null }
  }

  /** Stores the message as `pending` and queues it; the instance's sender sends it in turn. */
  async function queue(
    auth: AuthContext,
    input: Omit<SendTextInput, 'message'>,
    options: { source?: string; futureOnly?: boolean },
    content: (instanceId: number) => Promise<Content>,
  ) {
    const source = options.source ?? 'api'
    const instance = await resolveInstance(auth, input.instance)
    const chat = chatOf(input.recipient)
    const scheduledAt = input.schedule_at ? new Date(input.schedule_at) : null
    if (scheduledAt && Number.isNaN(scheduledAt.getTime())) {
      throw validationError('schedule_at', 'The schedule_at field must be a valid date and time.')
    }
    if (options.futureOnly && (!scheduledAt || scheduledAt.getTime() <= clock.now().getTime())) {
      throw validationError('scheduled_at', 'The scheduled_at field must be a date and time in the future.')
    }
    for (const guard of deps.guards) await guard(auth, { instanceId: instance.id, chatJid: chat.jid }, source)
    const quoted = input.reply_to ? await quotedId(instance.id, auth.tenantId, input.reply_to) : null
    // A file is fetched only for a send that may go: after the instance, recipient and guards.
    const prepared = await content(instance.id)
    const expiresFrom = scheduledAt ?? clock.now()
    const stored = await writer
      .queue({
        instance,
        chat,
        preview: prepared.preview,
        claim: prepared.media?.claim,
        row: {
          uuid: newUuid(),
          tenant_id: auth.tenantId,
          instance_id: instance.id,
          whatsapp_message_id: newWhatsappId(),
          direction: 'outgoing',
          chat_jid: chat.jid,
          sender_jid: null,
          sender_number: instance.phone_number,
          sender_name: null,
          recipient_number: chat.phone,
          type: prepared.type,
          body: prepared.body,
          caption: prepared.caption,
          media_id: prepared.media?.mediaId ?? null,
          media_url: prepared.media?.sourceUrl ?? null,
          media_mime: prepared.media?.mime ?? null,
          media_file_name: prepared.media?.fileName ?? null,
          media_size: prepared.media?.size ?? null,
          media_path: prepared.media?.key ?? null,
          quoted_message_id: quoted,
          mentions: input.mentions?.length ? toJson(input.mentions) : null,
          status: 'pending',
          error_code: null,
          error_message: null,
          next_attempt_at: null,
          expires_at: new Date(expiresFrom.getTime() + deps.expiryHours * 3_600_000).toISOString(),
          scheduled_at: scheduledAt?.toISOString() ?? null,
          sent_at: null,
          delivered_at: null,
          read_at: null,
          played_at: null,
          failed_at: null,
          edited_at: null,
          deleted_at: null,
          source,
          created_by: actorName(auth),
        },
      })
      .catch(async (error: unknown) => {
        // Not queued (quota, a failed insert): a file fetched for it goes too.
        await prepared.media?.discard()
        throw error
      })
    const delay = scheduledAt
      ? Math.max(0, Math.round((scheduledAt.getTime() - clock.now().getTime()) / 1000))
      : sender.expectedDelay(instance.id, stored.ahead, {
          min: instance.send_delay_min,
          max: instance.send_delay_max,
        })
    return { row: stored.row, delaySeconds: delay, remainingQuota: stored.remainingQuota }
  }

  return {
    find,

    /** The WhatsApp id of the instance's message named by its uuid or integer id; null if none is. */
    async whatsappIdOf(instanceId: number, ref: string): Promise<string | null> {
      const parsed = parseEntityRef(ref)
      const row = parsed ? await repo.findMessageInInstance(db, instanceId, parsed) : undefined
      return row?.whatsapp_message_id ?? null
    },

    /** One message of the day's quota for a send that goes to WhatsApp at once (direct endpoints). */
    async takeDailyQuota(instance: { id: number; daily_limit: number }): Promise<boolean> {
      return (await repo.takeQuota(db, instance.id, today(), instance.daily_limit, nowIso())) !== null
    },

    async queueText(
      auth: AuthContext,
      input: SendTextInput,
      options: { source?: string; futureOnly?: boolean } = {},
    ) {
      if (input.message.length > MAX_TEXT) {
        throw validationError('message', `The message field must not be greater than ${MAX_TEXT} characters.`)
      }
      return queue(auth, input, options, async () => ({
        type: 'text',
        body: input.message,
        caption: null,
        preview: input.message.slice(0, 255),
        media: null,
      }))
    },

    /** Queues a file (an upload, or a URL fetched now with the upload's checks) like a text. */
    async queueMedia(auth: AuthContext, input: SendMediaInput, options: { source?: string } = {}) {
      if (input.caption && input.caption.length > MAX_TEXT) {
        throw validationError('caption', `The caption field must not be greater than ${MAX_TEXT} characters.`)
      }
      if (input.media_id !== undefined && input.media_url) {
        throw validationError('media_id', 'Give either media_id or media_url, not both.')
      }
      return queue(auth, input, options, async (instanceId) => {
        const media = await deps.media.attach(auth, instanceId, {
          mediaId: input.media_id,
          url: input.media_url,
          kind: input.media_type,
          fileName: input.filename,
        })
        return {
          type: media.kind,
          body: null,
          caption: input.caption || null,
          preview: (input.caption || `[${media.kind}]`).slice(0, 255),
          media,
        }
      })
    },

    /** The stored file of a message (sent or received); 404 when it has none or it is not stored yet. */
    async mediaFile(auth: AuthContext, ref: string) {
      return deps.media.messageFile(await find(auth, ref))
    },

    sentToday: (instanceId: number) => repo.usageOn(db, instanceId, today()),

    /** The instance's traffic since the start of the day, the week (Monday) and the month, in UTC. */
    instanceStats: (tenantId: number, instanceId: number) =>
      repo.instanceStats(db, tenantId, instanceId, periodStarts(clock.now())),

    async list(
      auth: AuthContext,
      filter: {
        instance_id?: string | undefined
        conversation_id?: number | undefined
        direction?: 'incoming' | 'outgoing' | undefined
        status?: string | undefined
        from?: string | undefined
        to?: string | undefined
        search?: string | undefined
      },
      page: { limit: number; offset: number },
    ) {
      const instanceId = filter.instance_id
        ? (await instances.find(auth, filter.instance_id)).id
        : auth.instanceId
      return repo.listMessages(db, auth.tenantId, { ...filter, instanceId }, page)
    },

    async edit(auth: AuthContext, ref: string, text: string) {
      const row = await find(auth, ref)
      if (
        row.direction !== 'outgoing' ||
        !['sent', 'delivered', 'read'].includes(row.status) ||
        row.deleted_at
      ) {
        throw new AppError(
          'MESSAGE_NOT_EDITABLE',
          'Only outgoing messages that were sent (sent, delivered or read) can be edited.',
        )
      }
      if (row.type !== 'text') throw new AppError('MESSAGE_NOT_EDITABLE', 'Only text messages can be edited.')
      const instance = await instances.find(auth, { id: row.instance_id })
      const engine = await instances.engineOf(auth, instance)
      try {
        await engine.editMessage({ chatJid: row.chat_jid, messageId: row.whatsapp_message_id!, text })
      } catch (error) {
        throw engineFailure(error)
      }
      const at = nowIso()
      await repo.updateMessage(db, row.id, { body: text, edited_at: at, updated_at: at })
      return (await repo.findMessageById(db, row.id))!
    },

    /** Deletes an outgoing message for everyone (WhatsApp's revoke). */
    async remove(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      if (row.direction !== 'outgoing')
        throw new AppError('FORBIDDEN', 'Only outgoing messages can be deleted.')
      if (row.deleted_at) return row
      const instance = await instances.find(auth, { id: row.instance_id })
      if (row.status !== 'pending') {
        try {
          await (await instances.engineOf(auth, instance)).revokeMessage({
            chatJid: row.chat_jid,
            messageId: row.whatsapp_message_id!,
            fromMe: true,
          })
        } catch (error) {
          throw engineFailure(error)
        }
      }
      const at = nowIso()
      // A message still queued is withdrawn before it goes out.
      if (row.status === 'pending') {
        await repo.advanceStatus(db, row.id, 'failed', {
          error_code: 'CANCELLED',
          error_message: 'Deleted before it was sent',
          failed_at: at,
          updated_at: at,
        })
      }
      await repo.updateMessage(db, row.id, { deleted_at: at, updated_at: at })
      return (await repo.findMessageById(db, row.id))!
    },

    async react(auth: AuthContext, ref: string, emoji: string) {
      const row = await find(auth, ref)
      const instance = await instances.find(auth, { id: row.instance_id })
      const engine = await instances.engineOf(auth, instance)
      try {
        await engine.sendReaction({
          chatJid: row.chat_jid,
          messageId: row.whatsapp_message_id!,
          fromMe: row.direction === 'outgoing',
          ...(row.direction === 'incoming' && row.sender_jid && isGroupJid(row.chat_jid)
            ? { participant: row.sender_jid }
            : {}),
          emoji,
        })
      } catch (error) {
        throw engineFailure(error)
      }
      const reactor = instance.phone_number ? `${instance.phone_number}@s.whatsapp.net` : 'me'
      if (emoji) {
        await repo.upsertReaction(db, {
          message_id: row.id,
          reactor_jid: reactor,
          reactor_number: instance.phone_number,
          emoji,
          from_me: true,
          reacted_at: nowIso(),
        })
      } else {
        await repo.deleteReaction(db, row.id, reactor)
      }
      return this.reactions(auth, ref)
    },

    async reactions(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      const rows = await repo.listReactions(db, [row.id])
      return rows.map((r) => ({
        emoji: r.emoji,
        reactor_jid: r.reactor_jid,
        reactor_number: r.reactor_number,
        from_me: Boolean(r.from_me),
        reacted_at: r.reacted_at,
      }))
    },

    async listScheduled(
      auth: AuthContext,
      filter: {
        instance_id?: string | undefined
        from?: string | undefined
        to?: string | undefined
        status?: string | undefined
      },
      page: { limit: number; offset: number },
    ) {
      const instanceId = filter.instance_id
        ? (await instances.find(auth, filter.instance_id)).id
        : auth.instanceId
      return repo.listScheduled(db, auth.tenantId, { ...filter, instanceId }, page)
    },

    /** Changes a scheduled message that has not gone out yet (409 once it has). */
    async reschedule(
      auth: AuthContext,
      ref: string,
      patch: { message?: string | undefined; scheduled_at?: string | undefined },
    ) {
      const row = await find(auth, ref)
      if (!row.scheduled_at) throw notFound('Scheduled message')
      const at = nowIso()
      const when = patch.scheduled_at ? new Date(patch.scheduled_at) : null
      if (when && when.getTime() <= clock.now().getTime()) {
        throw validationError('scheduled_at', 'The scheduled_at field must be a date and time in the future.')
      }
      const changed = await repo.updatePending(db, row.id, {
        ...(patch.message !== undefined ? { body: patch.message } : {}),
        ...(when
          ? {
              scheduled_at: when.toISOString(),
              expires_at: new Date(when.getTime() + deps.expiryHours * 3_600_000).toISOString(),
            }
          : {}),
        updated_at: at,
      })
      if (!changed) throw new AppError('CONFLICT', 'This scheduled message was already sent or cancelled.')
      sender.wake(row.instance_id)
      return (await repo.findMessageById(db, row.id))!
    },

    /** Withdraws a scheduled message that has not gone out yet. */
    async cancelScheduled(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      if (!row.scheduled_at) throw notFound('Scheduled message')
      const at = nowIso()
      const changed = await repo.updatePending(db, row.id, {
        status: 'failed',
        error_code: 'CANCELLED',
        error_message: 'Cancelled before it was sent',
        failed_at: at,
        updated_at: at,
      })
      if (!changed) throw new AppError('CONFLICT', 'This scheduled message was already sent or cancelled.')
      return (await repo.findMessageById(db, row.id))!
    },

    async sendNow(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      if (!row.scheduled_at) throw notFound('Scheduled message')
      const at = nowIso()
      const changed = await repo.updatePending(db, row.id, { scheduled_at: at, updated_at: at })
      if (!changed) throw new AppError('CONFLICT', 'This scheduled message was already sent or cancelled.')
      sender.wake(row.instance_id)
      return (await repo.findMessageById(db, row.id))!
    },

    present(row: MessageRow) {
      const content = row.body ?? row.caption ?? null
      return {
        id: row.id,
        uuid: row.uuid,
        unique_id: row.uuid,
        instance_id: row.instance_id,
        conversation_id: row.conversation_id,
        whatsapp_message_id: row.whatsapp_message_id,
        direction: row.direction,
        is_from_me: row.direction === 'outgoing',
        type: row.type,
        message_body: content,
        body: row.body,
        content,
        caption: row.caption,
        media_url: row.media_path ? `/api/v1/messages/${row.uuid}/media` : row.media_url,
        media_mime_type: row.media_mime,
        media_file_name: row.media_file_name,
        media_size: row.media_size,
        chat_jid: row.chat_jid,
        sender_number: row.sender_number,
        sender_name: row.sender_name,
        recipient_number: row.recipient_number,
        quoted_message_id: row.quoted_message_id,
        mentioned_jids: parseJson<string[]>(row.mentions, []),
        status: row.status,
        error_code: row.error_code,
        error_message: row.error_message,
        retry_count: Math.max(0, row.attempts - 1),
        scheduled_at: row.scheduled_at,
        sent_at: row.sent_at,
        delivered_at: row.delivered_at,
        read_at: row.read_at,
        played_at: row.played_at,
        failed_at: row.failed_at,
        edited_at: row.edited_at,
        deleted_at: row.deleted_at,
        is_edited: row.edited_at !== null,
        is_deleted: row.deleted_at !== null,
        source: row.source,
        created_at: row.created_at,
        updated_at: row.updated_at,
      }
    },
  }
}
