import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { DB } from '../db/schema.js'
import type { EventDispatcher } from '../events/outbox.js'
import type { InstanceService } from '../instances/service.js'
import type { InstanceTokens } from '../instances/tokens.js'
import type { Clock } from '../lib/clock.js'
import type { Cipher } from '../lib/secrets.js'
import type { Ingestion } from '../messages/ingestion.js'
import { createDeliverer, type DeliveryOptions } from './deliverer.js'
import { webhookFanout } from './fanout.js'
import { createInboundService } from './inbound.js'
import { createWebhookService } from './service.js'

/** The webhook module: outgoing webhooks (outbox consumer, deliverer, settings) and the inbound worker endpoints. */
export function createWebhookModule(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  cipher: Cipher
  config: Config
  dispatcher: EventDispatcher
  instances: InstanceService
  instanceTokens: InstanceTokens
  ingestion: Ingestion
}) {
  const { db, clock, config } = deps
  const options: DeliveryOptions = {
    timeoutMs: config.webhooks.timeoutMs,
    retryBaseMs: config.webhooks.retryBaseMs,
    retryMaxMs: 3_600_000,
    retryWindowMs: config.webhooks.retryHours * 3_600_000,
    concurrency: config.webhooks.concurrency,
    pollMs: config.eventsPollMs,
    allowPrivate: config.webhooks.allowPrivateUrls,
    retentionDays: config.webhooks.logDays,
  }
  const deliverer = createDeliverer({ db, clock, logger: deps.logger, cipher: deps.cipher, options })
  // The fan-out is idempotent (one delivery per event and webhook), so its position is saved lazily.
  deps.dispatcher.subscribe(
    'webhooks',
    webhookFanout({ db, clock, retryWindowMs: options.retryWindowMs, onQueued: () => deliverer.kick() }),
    { saveEveryMs: 250 },
  )
  const webhooks = createWebhookService({
    db,
    clock,
    cipher: deps.cipher,
    instances: deps.instances,
    deliverer,
    allowPrivate: options.allowPrivate,
    retryWindowMs: options.retryWindowMs,
  })
  const inbound = createInboundService({
    clock,
    instanceTokens: deps.instanceTokens,
    instances: deps.instances,
    webhooks,
    ingestion: deps.ingestion,
    onEventsAppended: () => deps.dispatcher.notify(),
  })
  return { webhooks, inbound, deliverer }
}
