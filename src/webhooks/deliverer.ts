import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { bool } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import type { Cipher } from '../lib/secrets.js'
import { type PostResult, postWebhook } from './http-post.js'
import { outcomeOf } from './outcome.js'
import * as store from './queue.js'
import * as repo from './repository.js'
import { deliveryHeaders } from './signing.js'

export interface DeliveryOptions {
  /** A receiver that has not answered within this is treated as down. */
  timeoutMs: number
  /** First retry after about this long; each next one waits twice as long, up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** How long a delivery is retried before it fails for good. */
  retryWindowMs: number
  /** Attempts running at once in this process. */
  concurrency: number
  /** How often due deliveries are looked for (retries, other processes' deliveries). */
  pollMs: number
  /** Lets webhooks reach loopback and private addresses (tests, closed networks). */
  allowPrivate: boolean
  /** Finished deliveries are dropped from the log after this many days. */
  retentionDays: number
}

interface CachedWebhook {
  url: string
  secret: string
  active: boolean
  instanceUuid: string
}

/** Webhook settings are read at most this often per webhook; a change elsewhere shows within it. */
const WEBHOOK_CACHE_MS = 2000
const PURGE_EVERY_MS = 3600_000

/**
 * Sends delivery rows: takes due ones with a lease (so that a crash or another process never
 * loses or doubles one for long), posts them with a bounded number in flight, and stores the
 * outcomes in batches, one transaction for many, so that thousands per second stay cheap.
 */
export function createDeliverer(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  cipher: Cipher
  options: DeliveryOptions
}) {
  const { db, clock, logger, cipher, options } = deps
  // Long enough for an attempt and the storing of its outcome; a lost attempt is retried after it.
  const leaseMs = options.timeoutMs * 2 + 5000
  const retry = { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }
  const cache = new Map<number, { value: CachedWebhook | null; until: number }>()
  let running = false
  let inflight = 0
  let filling = false
  let wanted = false
  /**
   * Deliveries claimed but not started: claiming a batch at a time keeps the queries few. The
   * last claim found nothing more that is due: wait for a kick (new deliveries, the poll).
   */
  let queue: store.ClaimedDelivery[] = []
  let exhausted = false
  let poller: NodeJS.Timeout | null = null
  let lastPurge = 0
  let pending: store.AttemptOutcome[] = []
  let flushing: Promise<void> | null = null
  const idle = new Set<() => void>()

  async function webhookFor(id: number): Promise<CachedWebhook | null> {
    const hit = cache.get(id)
    if (hit && hit.until > performance.now()) return hit.value
    const row = await repo.findWebhookForDelivery(db, id)
    const value = row
      ? {
          url: row.url,
          secret: cipher.decrypt(row.secret),
          active: bool(row.is_active),
          instanceUuid: row.instance_uuid,
        }
      : null
    cache.set(id, { value, until: performance.now() + WEBHOOK_CACHE_MS })
    return value
  }

  async function post(hook: CachedWebhook, delivery: { uuid: string; event: string; body: string }) {
    const headers = deliveryHeaders({
      deliveryId: delivery.uuid,
      event: delivery.event,
      instanceUuid: hook.instanceUuid,
      body: delivery.body,
      secret: hook.secret,
      timestamp: Math.floor(clock.now().getTime() / 1000),
    })
    return postWebhook(hook.url, headers, delivery.body, options)
  }

  async function attempt(delivery: store.ClaimedDelivery): Promise<void> {
    const hook = await webhookFor(delivery.webhook_id)
    // Deleted: its deliveries went with it.
    if (!hook) return
    const result: PostResult = hook.active
      ? await post(hook, delivery)
      : {
          status: null,
          excerpt: null,
          error: 'the webhook is disabled',
          durationMs: 0,
          retryAfterMs: null,
          retryable: false,
        }
    pending.push(outcomeOf(delivery, result, clock.now(), retry))
    flushSoon()
  }

  function flushSoon(): void {
    if (flushing) return
    flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        while (pending.length > 0) {
          const batch = pending
          pending = []
          await store.recordOutcomes(db, batch)
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'storing webhook outcomes failed'))
      .finally(() => {
        flushing = null
        if (pending.length > 0) flushSoon()
        settle()
      })
  }

  function settle(): void {
    if (inflight === 0 && !flushing && !filling) for (const resolve of idle) resolve()
  }

  /** Starts queued deliveries while slots are free; asks for more before the queue runs dry. */
  function launch(): void {
    while (running && inflight < options.concurrency && queue.length > 0) {
      const delivery = queue.shift()!
      inflight++
      attempt(delivery)
        .catch((error: unknown) => logger.error({ err: error }, 'webhook attempt failed'))
        .finally(() => {
          inflight--
          launch()
          settle()
        })
    }
    if (queue.length < options.concurrency && !exhausted) claim()
  }

  async function fill(): Promise<void> {
    try {
      do {
        wanted = false
        const want = options.concurrency * 2 - queue.length
        if (want <= 0) break
        const now = clock.now()
        const claimed = await store.claimDue(
          db,
          now.toISOString(),
          new Date(now.getTime() + leaseMs).toISOString(),
          want,
        )
        queue.push(...claimed)
        if (claimed.length < want) exhausted = true
        launch()
      } while (wanted && running)
    } catch (error) {
      logger.error({ err: error }, 'looking for due webhook deliveries failed')
    } finally {
      filling = false
      settle()
    }
  }

  function claim(): void {
    if (!running) return
    if (filling) {
      wanted = true
      return
    }
    filling = true
    void fill()
  }

  /** Looks for due deliveries now (new ones were queued, or time has passed). */
  function kick(): void {
    exhausted = false
    claim()
  }

  async function purge(): Promise<void> {
    const now = clock.now().getTime()
    if (now - lastPurge < PURGE_EVERY_MS) return
    lastPurge = now
    const before = new Date(now - options.retentionDays * 86_400_000).toISOString()
    await store.purgeFinished(db, before).catch((error: unknown) => {
      logger.warn({ err: error }, 'purging the webhook log failed')
    })
  }

  return {
    kick,

    /** Forgets the cached settings of a webhook changed by this process. */
    forget(webhookId: number): void {
      cache.delete(webhookId)
    },

    /** Sends one event now, outside the queue, logs it as a delivery and answers how it went. */
    async sendNow(input: {
      webhookId: number
      tenantId: number
      instanceId: number
      event: string
      body: string
    }) {
      cache.delete(input.webhookId)
      const hook = await webhookFor(input.webhookId)
      if (!hook) throw new Error('webhook not found')
      const uuid = newUuid()
      const result = await post(hook, { uuid, event: input.event, body: input.body })
      const at = clock.now().toISOString()
      const id = await store.insertDelivery(db, {
        uuid,
        tenant_id: input.tenantId,
        instance_id: input.instanceId,
        webhook_id: input.webhookId,
        event_id: null,
        event: input.event,
        body: input.body,
        status: 'pending',
        attempts: 1,
        next_attempt_at: null,
        retry_until: at,
        created_at: at,
        updated_at: at,
      })
      const outcome = outcomeOf(
        { id, attempts: 1, retry_until: at },
        { ...result, retryable: false },
        clock.now(),
        retry,
      )
      await store.recordOutcomes(db, [outcome])
      return { id, result }
    },

    start(): void {
      running = true
      poller = setInterval(() => {
        kick()
        void purge()
      }, options.pollMs)
      poller.unref()
      kick()
    },

    /** Stops taking deliveries and waits for the attempts under way to be stored. */
    async stop(): Promise<void> {
      running = false
      if (poller) clearInterval(poller)
      // Claimed but never tried: handed back at once rather than after their lease.
      const unstarted = queue
      queue = []
      if (unstarted.length > 0) {
        await store
          .releaseClaims(
            db,
            unstarted.map((d) => d.id),
            clock.now().toISOString(),
          )
          .catch((error: unknown) => logger.warn({ err: error }, 'handing back webhook deliveries failed'))
      }
      if (inflight > 0 || flushing || filling) {
        await new Promise<void>((resolve) => {
          const done = () => {
            idle.delete(done)
            resolve()
          }
          idle.add(done)
          setTimeout(done, options.timeoutMs + 1000).unref()
        })
      }
    },
  }
}

export type Deliverer = ReturnType<typeof createDeliverer>
