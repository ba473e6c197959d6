import { notFound, unauthenticated, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import type { InstanceTokens } from '../instances/tokens.js'
import type { Clock } from '../lib/clock.js'
import { parseEntityRef } from '../lib/ids.js'
import type { Ingestion } from '../messages/ingestion.js'
import { connectionStatus, mapIncoming, mapReactionPayload, mapStatus, toJid } from './inbound-mapping.js'
import type { WebhookService } from './service.js'
import { verifyHexSignature } from './signing.js'

type Json = Record<string, unknown>

export interface WorkerInstance {
  id: number
  uuid: string
  tenant_id: number
}

export type InboundService = ReturnType<typeof createInboundService>

/** A second copy of an event raced this one in another process and lost on the unique key. */
function isDuplicate(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/**
 * The inbound worker endpoints: what a WhatsApp worker running elsewhere reports about an
 * instance goes through the same ingestion as the built-in engines' events.
 */
export function createInboundService(deps: {
  clock: Clock
  instanceTokens: InstanceTokens
  instances: InstanceService
  webhooks: WebhookService
  ingestion: Ingestion
  onEventsAppended: () => void
}) {
  const { clock, ingestion } = deps
  const self = { jid: null, now: () => clock.now().getTime() }

  async function ingest(work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (error) {
      if (!isDuplicate(error)) throw error
    }
  }

  return {
    /**
     * The instance a request is for, if it is signed with the instance's worker secret
     * (`X-Webhook-Signature`: hex HMAC-SHA256 of the raw body) or carries its sk_ token.
     */
    async authenticate(
      ref: string,
      request: { rawBody: Buffer; signature: string | null; bearer: string | null },
    ): Promise<WorkerInstance> {
      const parsed = parseEntityRef(ref)
      const instance = parsed ? await deps.instanceTokens.findInstance(parsed) : undefined
      if (request.signature && instance) {
        const secret = await deps.webhooks.workerSecret(instance.id)
        if (secret && verifyHexSignature(request.rawBody, request.signature, secret)) return instance
      }
      if (request.bearer?.startsWith('sk_')) {
        const auth = await deps.instanceTokens.resolve(request.bearer)
        if (auth) {
          if (!instance || auth.instanceId !== instance.id) throw notFound('Instance')
          return instance
        }
      }
      throw unauthenticated(
        request.signature
          ? 'Invalid signature'
          : "Sign the body (X-Webhook-Signature: hex HMAC-SHA256 with the instance's worker secret) or send its sk_ token",
      )
    },

    async incoming(instance: WorkerInstance, payload: Json) {
      const mapped = await mapIncoming(payload, self)
      if (!mapped) return { accepted: false, reason: 'Not a message this API stores (a protocol message)' }
      if ('reaction' in mapped) {
        await ingest(() => ingestion.reaction(instance.id, mapped.reaction))
        return { accepted: true, kind: 'reaction', whatsapp_message_id: mapped.reaction.messageId }
      }
      await ingest(() => ingestion.message(instance.id, mapped.message))
      return {
        accepted: true,
        kind: 'message',
        whatsapp_message_id: mapped.message.id,
        type: mapped.message.type,
        direction: mapped.message.direction === 'in' ? 'incoming' : 'outgoing',
      }
    },

    async status(instance: WorkerInstance, payload: Json) {
      const receipt = await mapStatus(payload, self.now)
      if (!receipt) throw validationError('status', 'The status field must be a status code from 0 to 5.')
      await ingest(() => ingestion.receipt(instance.id, receipt))
      return { accepted: true, whatsapp_message_id: receipt.messageId, status: receipt.status }
    },

    async reaction(instance: WorkerInstance, payload: Json) {
      const reaction = await mapReactionPayload(payload, self)
      if (!reaction) throw validationError('key', 'The key field must name the message reacted to.')
      await ingest(() => ingestion.reaction(instance.id, reaction))
      return {
        accepted: true,
        whatsapp_message_id: reaction.messageId,
        emoji: reaction.emoji,
        removed: reaction.emoji === '',
      }
    },

    async qr(instance: WorkerInstance, payload: { qr: string }) {
      const changed = await deps.instances.reportStatus(instance.id, { status: 'qr_ready', qr: payload.qr })
      if (changed) deps.onEventsAppended()
      return { accepted: true, status: 'qr_ready', changed }
    },

    async connection(instance: WorkerInstance, payload: Json) {
      const status = connectionStatus(payload['status'])
      if (!status) throw validationError('status', 'The status field is not a known connection status.')
      const phone = toJid(payload['phone_number'])?.split('@')[0] ?? null
      const reason = typeof payload['reason'] === 'string' ? payload['reason'] : 'reported by the worker'
      const changed = await deps.instances.reportStatus(instance.id, { status, phone, reason })
      if (changed) deps.onEventsAppended()
      return { accepted: true, status, changed }
    },
  }
}
