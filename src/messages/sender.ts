import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { parseJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { EngineError } from '../engine/errors.js'
import type { Engine, SendResult } from '../engine/types.js'
import { appendEvent } from '../events/outbox.js'
import type { Supervisor } from '../instances/supervisor.js'
import type { Clock } from '../lib/clock.js'
import { messageEventData, statusEventData } from './event-payloads.js'
import type { MessageRow } from './repository.js'
import * as repo from './repository.js'

const MAX_ATTEMPTS = 3
/**
 * While a send is in flight its row is held this long, so that nothing else picks it meanwhile;
 * the process that takes the instance over after a crash releases it at once (see `adopt`).
 */
const IN_FLIGHT_SECONDS = 120

interface Lane {
  running: boolean
  timer: NodeJS.Timeout | null
  /** Epoch ms before which the next message must not go (the human-like pause). */
  notBefore: number
  /** The engine whose queue this lane last took over: a new one means the instance changed hands. */
  engine: Engine | null
}

export type Sender = ReturnType<typeof createSender>

/**
 * Each instance's outgoing queue, on the process that holds the instance: one message at a
 * time, a randomized pause between messages, retries with backoff for transient failures.
 * A message keeps the WhatsApp id it was given when queued, so a resend after a crash is the
 * same message to WhatsApp, not a second one.
 */
export function createSender(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  supervisor: Supervisor
  onEventsAppended: () => void
  /** The bytes of a stored file (the media store). */
  readMedia: (key: string) => Promise<Buffer>
  random?: () => number
}) {
  const { db, clock, logger, supervisor } = deps
  const random = deps.random ?? Math.random
  const lanes = new Map<number, Lane>()
  let stopped = false
  let sweeper: NodeJS.Timeout | null = null

  const lane = (id: number): Lane => {
    let found = lanes.get(id)
    if (!found) {
      found = { running: false, timer: null, notBefore: 0, engine: null }
      lanes.set(id, found)
    }
    return found
  }

  function wakeAt(instanceId: number, at: number): void {
    const state = lane(instanceId)
    if (state.timer) clearTimeout(state.timer)
    const delay = Math.max(0, Math.min(at - clock.now().getTime(), 60_000))
    state.timer = setTimeout(() => {
      state.timer = null
      void drain(instanceId)
    }, delay)
    state.timer.unref()
  }

  async function emitAll(
    instanceId: number,
    events: {
      type: string
      data: (
        row: MessageRow,
        instance: { id: number; uuid: string; tenantId: number; phone: string | null },
      ) => Record<string, unknown>
    }[],
    messageId: number,
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const row = (await repo.findMessageById(trx, messageId))!
      const inst = await trx
        .selectFrom('instances')
        .select(['id', 'uuid', 'tenant_id', 'phone_number'])
        .where('id', '=', instanceId)
        .executeTakeFirstOrThrow()
      const ref = { id: inst.id, uuid: inst.uuid, tenantId: inst.tenant_id, phone: inst.phone_number }
      for (const event of events) {
        await appendEvent(trx, clock, {
          tenantId: ref.tenantId,
          instanceId,
          instanceUuid: ref.uuid,
          type: event.type,
          data: event.data(row, ref),
        })
      }
    })
    deps.onEventsAppended()
  }

  async function fail(message: MessageRow, code: string, text: string): Promise<void> {
    const at = clock.now().toISOString()
    const moved = await repo.advanceStatus(db, message.id, 'failed', {
      error_code: code,
      error_message: text,
      failed_at: at,
      next_attempt_at: null,
      updated_at: at,
    })
    if (!moved) return
    await emitAll(
      message.instance_id,
      [
        {
          type: 'message.status',
          data: (row, inst) => statusEventData(row, inst, message.status, 'failed', at),
        },
        {
          type: 'message.failed',
          data: (row, inst) => statusEventData(row, inst, message.status, 'failed', at),
        },
      ],
      message.id,
    )
  }

  async function deliver(engine: Engine, message: MessageRow): Promise<SendResult> {
    const quoted = message.quoted_message_id ? { quotedId: message.quoted_message_id } : {}
    const mentions = message.mentions ? { mentions: parseJson<string[]>(message.mentions, []) } : {}
    if (message.type === 'text') {
      return engine.sendText({
        id: message.whatsapp_message_id!,
        to: message.chat_jid,
        text: message.body ?? '',
        ...quoted,
        ...mentions,
      })
    }
    if (!message.media_path)
      throw new EngineError('MEDIA_UNAVAILABLE', 'the media of this message is not stored')
    return engine.sendMedia({
      id: message.whatsapp_message_id!,
      to: message.chat_jid,
      kind: message.type as 'image' | 'video' | 'audio' | 'document',
      // `media_path` is the file's key in the media store.
      data: await deps.readMedia(message.media_path),
      mimetype: message.media_mime ?? 'application/octet-stream',
      ...(message.caption ? { caption: message.caption } : {}),
      ...(message.media_file_name ? { fileName: message.media_file_name } : {}),
      ...quoted,
    })
  }

  /** Sends what is due for the instance, one message at a time, until its queue waits or empties. */
  async function drain(instanceId: number): Promise<void> {
    const state = lane(instanceId)
    if (state.running || stopped) return
    state.running = true
    try {
      for (;;) {
        const engine = supervisor.local(instanceId)
        if (engine?.getState().status !== 'connected' || stopped) return
        if (state.engine !== engine) {
          await adopt(instanceId)
          state.engine = engine
        }
        const now = clock.now()
        if (state.notBefore > now.getTime()) return wakeAt(instanceId, state.notBefore)
        const message = await repo.nextDue(db, instanceId, now.toISOString())
        if (!message) {
          const next = await repo.nextDueAt(db, instanceId)
          if (next && Date.parse(next) > now.getTime()) wakeAt(instanceId, Date.parse(next))
          return
        }
        if (message.expires_at && Date.parse(message.expires_at) <= now.getTime()) {
          await fail(message, 'EXPIRED', 'The message could not be sent before it expired')
          continue
        }
        await repo.updateMessage(db, message.id, {
          attempts: message.attempts + 1,
          next_attempt_at: new Date(now.getTime() + IN_FLIGHT_SECONDS * 1000).toISOString(),
          updated_at: now.toISOString(),
        })
        const instance = await db
          .selectFrom('instances')
          .select(['send_delay_min', 'send_delay_max'])
          .where('id', '=', instanceId)
          .executeTakeFirst()
        if (!instance) return
        try {
          const result = await deliver(engine, message)
          const sentAt = new Date(result.timestamp).toISOString()
          const moved = await repo.advanceStatus(db, message.id, 'sent', {
            sent_at: sentAt,
            next_attempt_at: null,
            updated_at: clock.now().toISOString(),
          })
          // A recipient may confirm delivery before WhatsApp's own acknowledgement is stored:
          // the status is already further on, but the send time and the in-flight hold still change.
          if (!moved) await repo.recordSent(db, message.id, sentAt, clock.now().toISOString())
          await emitAll(
            instanceId,
            [
              { type: 'message.sent', data: (row, inst) => messageEventData(row, inst) },
              ...(moved
                ? [
                    {
                      type: 'message.status',
                      data: (row: MessageRow, inst: Parameters<typeof statusEventData>[1]) =>
                        statusEventData(row, inst, 'pending', 'sent', sentAt),
                    },
                  ]
                : []),
            ],
            message.id,
          )
        } catch (error) {
          await onFailure(message, error)
        }
        const pauseSeconds =
          instance.send_delay_min + random() * (instance.send_delay_max - instance.send_delay_min)
        state.notBefore = clock.now().getTime() + Math.round(pauseSeconds * 1000)
      }
    } catch (error) {
      logger.error({ err: error, instance: instanceId }, 'sending failed')
      wakeAt(instanceId, clock.now().getTime() + 5000)
    } finally {
      state.running = false
    }
  }

  /**
   * The instance has just come to this process (a restart, a takeover): rows still held in flight
   * were left by a sender that no longer holds it, and nothing here is sending them (this lane is
   * the only one). They are due now rather than when the hold lapses; resent under their stored
   * WhatsApp id, they are the same message, not a second one.
   */
  async function adopt(instanceId: number): Promise<void> {
    const now = clock.now().toISOString()
    await db
      .updateTable('messages')
      .set({ next_attempt_at: now, updated_at: now })
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'pending')
      .where('direction', '=', 'outgoing')
      .where('attempts', '>', 0)
      .where('next_attempt_at', '>', now)
      .execute()
  }

  async function onFailure(message: MessageRow, error: unknown): Promise<void> {
    const attempts = message.attempts + 1
    const engineError = error instanceof EngineError ? error : null
    if (engineError && !engineError.transient) {
      await fail(message, engineError.code, engineError.message)
      return
    }
    logger.warn({ err: error, message: message.id, attempts }, 'send failed; will retry')
    if (attempts >= MAX_ATTEMPTS) {
      await fail(
        message,
        engineError?.code ?? 'SEND_FAILED',
        `Gave up after ${attempts} attempts: ${(error as Error).message}`,
      )
      return
    }
    const backoffMs = 1000 * 2 ** attempts * (0.5 + random() * 0.5)
    const now = clock.now()
    await repo.updateMessage(db, message.id, {
      next_attempt_at: new Date(now.getTime() + backoffMs).toISOString(),
      updated_at: now.toISOString(),
    })
  }

  return {
    /** Something was queued (or fell due) for the instance. */
    wake(instanceId: number): void {
      void drain(instanceId)
    },

    /** The expected wait, in seconds, before a message queued now behind `ahead` others goes out. */
    expectedDelay(instanceId: number, ahead: number, delays: { min: number; max: number }): number {
      const pause = Math.max(0, (lane(instanceId).notBefore - clock.now().getTime()) / 1000)
      return Math.round(pause + ahead * ((delays.min + delays.max) / 2))
    },

    start(): void {
      stopped = false
      supervisor.onEngineEvent((instance, event, data) => {
        if (event === 'connection' && (data as { status: string }).status === 'connected')
          void drain(instance.id)
      })
      // A safety net: whatever is queued for an instance held here gets looked at now and then,
      // even if no event announced it (queued by another process, restarted server).
      const sweep = async () => {
        const held = new Set(supervisor.heldInstances())
        if (held.size === 0) return
        for (const id of await repo.instancesWithQueue(db)) if (held.has(id)) void drain(id)
      }
      sweeper = setInterval(
        () => void sweep().catch((error: unknown) => logger.error({ err: error }, 'queue sweep failed')),
        2000,
      )
      sweeper.unref()
      void sweep()
    },

    async stop(): Promise<void> {
      stopped = true
      if (sweeper) clearInterval(sweeper)
      for (const state of lanes.values()) if (state.timer) clearTimeout(state.timer)
    },
  }
}
