import type { Kysely } from 'kysely'
import { bool, parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import type { Cipher } from '../lib/secrets.js'
import type { Deliverer } from './deliverer.js'
import { expandEvents, SUBSCRIBABLE, TEST_EVENT, unknownEvents } from './events.js'
import { webhookBody } from './fanout.js'
import { urlProblem } from './http-post.js'
import * as repo from './repository.js'
import { maskSecret, newWebhookSecret, newWorkerSecret } from './signing.js'
import type { AttemptRow, DeliveryRow, DeliveryStatus, WebhookRow } from './table.js'

export interface WebhookInput {
  webhook_url: string
  webhook_secret?: string | undefined
  events?: string[] | null | undefined
  is_active?: boolean | undefined
}

export type WebhookService = ReturnType<typeof createWebhookService>

/** The outgoing webhook of each instance, its delivery log, and the inbound worker's secret. */
export function createWebhookService(deps: {
  db: Kysely<DB>
  clock: Clock
  cipher: Cipher
  instances: InstanceService
  deliverer: Deliverer
  allowPrivate: boolean
  retryWindowMs: number
}) {
  const { db, clock, cipher, instances, deliverer } = deps
  const nowIso = () => clock.now().toISOString()

  function present(row: WebhookRow, instanceUuid: string, revealed?: string) {
    const events = parseJson<string[] | null>(row.events, null)
    const effective = expandEvents(events)
    return {
      id: row.id,
      uuid: row.uuid,
      instance_id: row.instance_id,
      instance_uuid: instanceUuid,
      webhook_url: row.url,
      webhook_secret: revealed ?? maskSecret(cipher.decrypt(row.secret)),
      secret_shown: revealed !== undefined,
      events,
      subscribed_events: effective ? [...effective].sort() : null,
      is_active: bool(row.is_active),
      created_at: row.created_at,
      updated_at: row.updated_at,
    }
  }

  function presentDelivery(row: DeliveryRow, attempts: AttemptRow[]) {
    return {
      id: row.id,
      uuid: row.uuid,
      event: row.event,
      event_id: row.event_id,
      status: row.status,
      attempts: row.attempts,
      status_code: row.response_status,
      response_excerpt: row.response_excerpt,
      last_error: row.last_error,
      duration_ms: row.duration_ms,
      next_retry_at: row.status === 'pending' ? row.next_attempt_at : null,
      retry_until: row.retry_until,
      last_attempt_at: row.last_attempt_at,
      delivered_at: row.delivered_at,
      created_at: row.created_at,
      updated_at: row.updated_at,
      payload: parseJson<Record<string, unknown>>(row.body, {}),
      attempt_log: [
        ...attempts.map((a) => ({
          attempt: a.attempt,
          attempted_at: a.attempted_at,
          status_code: a.response_status,
          duration_ms: a.duration_ms,
          error: a.error,
          response_excerpt: a.response_excerpt,
        })),
        // The latest attempt lives in the delivery row itself.
        ...(row.last_attempt_at
          ? [
              {
                attempt: (attempts.at(-1)?.attempt ?? 0) + 1,
                attempted_at: row.last_attempt_at,
                status_code: row.response_status,
                duration_ms: row.duration_ms ?? 0,
                error: row.last_error,
                response_excerpt: row.response_excerpt,
              },
            ]
          : []),
      ],
    }
  }

  async function webhookOf(auth: AuthContext, ref: string) {
    const instance = await instances.find(auth, ref)
    const row = await repo.findWebhook(db, instance.id)
    if (!row) throw notFound('Webhook')
    return { instance, row }
  }

  async function checkInput(input: WebhookInput): Promise<void> {
    let url: URL
    try {
      url = new URL(input.webhook_url)
    } catch {
      throw validationError('webhook_url', 'The webhook_url field must be a valid URL.')
    }
    const problem = await urlProblem(url, deps.allowPrivate)
    if (problem) throw validationError('webhook_url', `The webhook_url field is not usable: ${problem}.`)
    const unknown = unknownEvents(input.events ?? [])
    if (unknown.length > 0) {
      throw validationError(
        'events',
        `Unknown event(s): ${unknown.join(', ')}. Known events: ${SUBSCRIBABLE.join(', ')}.`,
      )
    }
  }

  return {
    async get(auth: AuthContext, ref: string) {
      const { instance, row } = await webhookOf(auth, ref)
      return present(row, instance.uuid)
    },

    /**
     * Sets the webhook (PUT replaces it). Without `webhook_secret` the current secret stays;
     * a new webhook without one gets a generated secret, shown in full in this answer only.
     */
    async put(auth: AuthContext, ref: string, input: WebhookInput) {
      const instance = await instances.find(auth, ref)
      await checkInput(input)
      const existing = await repo.findWebhook(db, instance.id)
      const generated = !input.webhook_secret && !existing ? newWebhookSecret() : undefined
      const secret = input.webhook_secret ?? generated
      const events = input.events?.length ? [...new Set(input.events)] : null
      const at = nowIso()
      const fields = {
        url: input.webhook_url,
        events: events ? toJson(events) : null,
        is_active: input.is_active ?? true,
        ...(secret ? { secret: cipher.encrypt(secret) } : {}),
        updated_at: at,
      }
      if (existing) {
        await repo.updateWebhook(db, existing.id, fields)
        deliverer.forget(existing.id)
      } else {
        await repo.insertWebhook(db, {
          uuid: newUuid(),
          tenant_id: instance.tenant_id,
          instance_id: instance.id,
          secret: cipher.encrypt(secret!),
          ...fields,
          created_at: at,
        })
      }
      const row = (await repo.findWebhook(db, instance.id))!
      return { webhook: present(row, instance.uuid, generated), created: !existing }
    },

    async remove(auth: AuthContext, ref: string): Promise<void> {
      const instance = await instances.find(auth, ref)
      const row = await repo.findWebhook(db, instance.id)
      if (!row || !(await repo.deleteWebhook(db, instance.id))) throw notFound('Webhook')
      deliverer.forget(row.id)
    },

    /** Sends a `webhook.test` event at once (whatever the filter) and reports the answer. */
    async test(auth: AuthContext, ref: string) {
      const { instance, row } = await webhookOf(auth, ref)
      const body = webhookBody({
        event: TEST_EVENT,
        instance_uuid: instance.uuid,
        timestamp: nowIso(),
        data: {
          message: 'This is a test event from Zapini.',
          instance: { uuid: instance.uuid, phone_number: instance.phone_number },
        },
      })
      const { id, result } = await deliverer.sendNow({
        webhookId: row.id,
        tenantId: instance.tenant_id,
        instanceId: instance.id,
        event: TEST_EVENT,
        body,
      })
      const delivery = await repo.findDeliveryById(db, id)
      const delivered = result.status !== null && result.status >= 200 && result.status < 300
      return {
        delivered,
        status_code: result.status,
        latency_ms: result.durationMs,
        response_excerpt: result.excerpt,
        error: result.error,
        delivery_id: delivery.id,
        webhook_id: delivery.uuid,
        webhook_url: row.url,
      }
    },

    async deliveries(
      auth: AuthContext,
      ref: string,
      filter: { status?: DeliveryStatus | undefined; event?: string | undefined },
      page: { limit: number; offset: number },
    ) {
      const instance = await instances.find(auth, ref)
      const webhook = await repo.findWebhook(db, instance.id)
      if (!webhook) return { items: [], total: 0 }
      const { rows, total } = await repo.listDeliveries(db, webhook.id, filter, page)
      const attempts = await repo.attemptsOf(
        db,
        rows.map((r) => r.id),
      )
      const items = rows.map((row) =>
        presentDelivery(
          row,
          attempts.filter((a) => a.delivery_id === row.id),
        ),
      )
      return { items, total }
    },

    /** Queues a delivery again (same X-Webhook-Id), retried for a full window from now. */
    async redeliver(auth: AuthContext, ref: string, deliveryRef: string) {
      const instance = await instances.find(auth, ref)
      const webhook = await repo.findWebhook(db, instance.id)
      const parsed = parseEntityRef(deliveryRef)
      const row = webhook && parsed && (await repo.findDelivery(db, webhook.id, parsed))
      if (!row) throw notFound('Delivery')
      const now = clock.now()
      await repo.updateDelivery(db, row.id, {
        status: 'pending',
        next_attempt_at: now.toISOString(),
        retry_until: new Date(now.getTime() + deps.retryWindowMs).toISOString(),
        updated_at: now.toISOString(),
      })
      deliverer.kick()
      const updated = await repo.findDeliveryById(db, row.id)
      return presentDelivery(updated, await repo.attemptsOf(db, [row.id]))
    },

    /** Makes (or replaces) the secret that signs the inbound worker endpoints; shown only here. */
    async rotateWorkerSecret(auth: AuthContext, ref: string) {
      const instance = await instances.find(auth, ref)
      const secret = newWorkerSecret()
      const at = nowIso()
      const rotated = await repo.saveWorkerSecret(db, {
        instance_id: instance.id,
        tenant_id: instance.tenant_id,
        secret: cipher.encrypt(secret),
        created_at: at,
      })
      return { worker_secret: secret, rotated, created_at: at }
    },

    /** The worker secret of an instance in the clear, or null when it has none. */
    async workerSecret(instanceId: number): Promise<string | null> {
      const sealed = await repo.findWorkerSecret(db, instanceId)
      return sealed ? cipher.decrypt(sealed) : null
    },
  }
}
