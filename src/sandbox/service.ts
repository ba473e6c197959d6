import { bool } from '../db/dialect.js'
import type { SandboxEngine } from '../engine/sandbox/index.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound } from '../http/errors.js'
import { engineFailure, type InstanceService } from '../instances/service.js'
import type { Supervisor } from '../instances/supervisor.js'
import { mimeOf } from '../media/formats.js'
import type { MediaFetcher } from '../media/url-fetch.js'

export type SandboxService = ReturnType<typeof createSandboxService>

export interface InboundInput {
  from: string
  message?: string | undefined
  media_type?: 'image' | 'video' | 'audio' | 'document' | 'sticker' | undefined
  media_url?: string | undefined
  caption?: string | undefined
  push_name?: string | undefined
  group_jid?: string | undefined
  mentions?: string[] | undefined
  reply_to?: string | undefined
}

/**
 * The controls of sandbox instances (DECISIONS §4): what a phone and its contacts would do on a
 * real network. Only for the owner's sandbox instances; anything else is 404.
 */
export function createSandboxService(deps: {
  instances: InstanceService
  supervisor: Supervisor
  /** Turns a message uuid or integer id into its WhatsApp id (messages module); identity until then. */
  whatsappIdOf?: (instanceId: number, ref: string) => Promise<string | null>
  /** Downloads a contact's `media_url` under the server's URL policy, so that the message carries the bytes. */
  fetchMedia?: MediaFetcher
}) {
  async function sandbox(auth: AuthContext, ref: string): Promise<{ id: number; engine: SandboxEngine }> {
    const row = await deps.instances.find(auth, ref)
    if (row.engine !== 'sandbox') throw notFound('Sandbox instance')
    let engine = deps.supervisor.local(row.id)
    if (!engine && !bool(row.desired_connected)) {
      // Disconnected, logged out or given up on: a control must not connect it behind the owner's back.
      throw new AppError(
        'INSTANCE_NOT_CONNECTED',
        'The instance is not connected. Connect it first (POST /instances/{uuid}/reconnect).',
      )
    }
    if (!engine) {
      // Held by another process: the request goes there.
      await deps.instances.forwardIfHeldElsewhere(auth, row)
      // It should be connected and nobody holds it yet (a round away): bring its engine up here.
      await deps.supervisor.connect(row.id)
      engine = deps.supervisor.local(row.id)
    }
    if (engine?.kind !== 'sandbox') {
      throw new AppError('SERVICE_UNAVAILABLE', 'This sandbox instance is held by another server process.')
    }
    return { id: row.id, engine: engine as SandboxEngine }
  }

  async function run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw engineFailure(error)
    }
  }

  async function messageId(instanceId: number, ref: string): Promise<string> {
    return (await deps.whatsappIdOf?.(instanceId, ref)) ?? ref
  }

  return {
    async scan(auth: AuthContext, ref: string, phone?: string) {
      const { engine } = await sandbox(auth, ref)
      const linked = await run(() => engine.scan(phone))
      return { phone_number: linked.phone, jid: linked.jid, lid: linked.lid }
    },

    async inbound(auth: AuthContext, ref: string, input: InboundInput) {
      const { id, engine } = await sandbox(auth, ref)
      // The contact's file is fetched under the server's URL policy, so that the message carries
      // its bytes. One that cannot be fetched (refused, unreachable) arrives without them, like
      // media WhatsApp can no longer serve: its download then fails and is recorded as such.
      const file =
        input.media_type && input.media_url && deps.fetchMedia
          ? await deps.fetchMedia(input.media_url, 'media_url').catch(() => null)
          : null
      const mimetype = file ? ((await mimeOf(file.data, file.fileName)) ?? file.mimetype) : null
      const whatsappId = await run(async () =>
        engine.inbound({
          from: input.from,
          ...(input.message !== undefined ? { message: input.message } : {}),
          ...(input.media_type ? { mediaType: input.media_type } : {}),
          ...(input.media_url ? { mediaUrl: input.media_url } : {}),
          ...(file ? { data: file.data } : {}),
          ...(mimetype ? { mimetype } : {}),
          ...(input.caption !== undefined ? { caption: input.caption } : {}),
          ...(input.push_name ? { pushName: input.push_name } : {}),
          ...(input.group_jid ? { groupJid: input.group_jid } : {}),
          ...(input.mentions ? { mentions: input.mentions } : {}),
          ...(input.reply_to ? { replyTo: await messageId(id, input.reply_to) } : {}),
        }),
      )
      return { whatsapp_message_id: whatsappId, message_id: whatsappId }
    },

    async receipt(
      auth: AuthContext,
      ref: string,
      input: { message_id: string; status: 'delivered' | 'read' | 'played' },
    ) {
      const { id, engine } = await sandbox(auth, ref)
      const whatsappId = await messageId(id, input.message_id)
      await run(() => engine.receipt(whatsappId, input.status))
      return { message_id: whatsappId, status: input.status }
    },

    async reaction(
      auth: AuthContext,
      ref: string,
      input: { from: string; message_id: string; emoji: string },
    ) {
      const { id, engine } = await sandbox(auth, ref)
      const whatsappId = await messageId(id, input.message_id)
      await run(() => engine.reaction(input.from, whatsappId, input.emoji))
      return { message_id: whatsappId, emoji: input.emoji }
    },

    async drop(auth: AuthContext, ref: string) {
      const { engine } = await sandbox(auth, ref)
      await run(() => engine.drop())
      return { dropped: true }
    },
  }
}
