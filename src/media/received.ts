import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { DB } from '../db/schema.js'
import { EngineError } from '../engine/errors.js'
import type { Engine, MessageEvent } from '../engine/types.js'
import type { Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { decodeRaw, encodeRaw } from './raw.js'
import * as repo from './repository.js'
import type { MediaStore } from './store.js'

/** Failures no retry can fix: WhatsApp no longer has the file, or the message never had one. */
const PERMANENT = new Set(['MEDIA_UNAVAILABLE', 'INVALID_ARGUMENT', 'UNSUPPORTED'])

export type ReceivedMedia = ReturnType<typeof createReceivedMedia>

/**
 * Stores the media of messages as they arrive: once the message is stored (outside that
 * transaction, so that a slow download holds nothing up), the engine holding the instance
 * downloads the file, the store keeps it and the message row points at it. A failed download is
 * retried with backoff, then recorded on the media row as failed.
 */
export function createReceivedMedia(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  store: MediaStore
  /** The engine this process holds for an instance, or null. */
  engineOf: (instanceId: number) => Engine | null
  attempts: number
  retryBaseMs: number
}) {
  const { db, clock, logger, store } = deps
  const nowIso = () => clock.now().toISOString()
  /** Engine references of this process's downloads, for retries when they are too large to persist. */
  const raws = new Map<number, unknown>()
  const running = new Set<number>()
  const timers = new Set<NodeJS.Timeout>()
  let stopped = false

  async function arrived(instanceId: number, event: MessageEvent): Promise<void> {
    if (!event.media || event.raw === undefined || event.placeholder) return
    const message = await repo.messageAwaitingMedia(db, instanceId, event.id)
    if (!message || message.media_path) return
    const at = nowIso()
    let id: number
    try {
      id = await repo.insertMedia(db, {
        uuid: newUuid(),
        tenant_id: message.tenant_id,
        instance_id: instanceId,
        message_id: message.id,
        origin: 'received',
        kind: event.type,
        mime_type: event.media.mimetype,
        size: event.media.size ?? null,
        filename: event.media.fileName ?? null,
        storage_key: null,
        sha256: null,
        status: 'pending',
        attempts: 0,
        // The first attempt starts now; the retry round takes it over only if this one is lost.
        next_attempt_at: new Date(clock.now().getTime() + 60_000).toISOString(),
        error: null,
        raw: await encodeRaw(deps.engineOf(instanceId)?.kind, event.raw),
        expires_at: null,
        created_at: at,
        updated_at: at,
      })
    } catch (error) {
      // A replayed event: the message already has its media row (one per message).
      if (await repo.messageHasMedia(db, message.id)) return
      throw error
    }
    raws.set(id, event.raw)
    await download(id)
  }

  async function download(id: number): Promise<void> {
    if (running.has(id) || stopped) return
    running.add(id)
    try {
      const row = await repo.findMediaById(db, id)
      if (row?.status !== 'pending' || row.message_id === null || row.instance_id === null) return
      const message = await repo.messageRef(db, row.message_id)
      if (!message) return
      const engine = deps.engineOf(row.instance_id)
      // Another process holds the instance now: its own retry round will download it (from the
      // reference in the row; the one in memory here would only be kept for nothing).
      if (!engine) {
        raws.delete(id)
        return
      }
      let raw = raws.get(id)
      if (raw === undefined && row.raw) raw = await decodeRaw(row.raw)
      try {
        if (raw === undefined) {
          throw new EngineError('MEDIA_UNAVAILABLE', 'the reference to download it was lost in a restart')
        }
        const data = await engine.downloadMedia({
          id: message.whatsapp_message_id!,
          chatJid: message.chat_jid,
          raw,
        })
        const key = `${row.tenant_id}/${row.created_at.slice(0, 7)}/${row.uuid}`
        await store.put(key, [data])
        const at = nowIso()
        await db.transaction().execute(async (trx) => {
          await repo.updateMedia(trx, id, {
            status: 'stored',
            storage_key: key,
            size: data.length,
            sha256: createHash('sha256').update(data).digest('hex'),
            attempts: row.attempts + 1,
            next_attempt_at: null,
            error: null,
            raw: null,
            updated_at: at,
          })
          await repo.attachToMessage(
            trx,
            row.message_id!,
            { id, key, size: data.length, mime: row.mime_type },
            at,
          )
        })
        raws.delete(id)
      } catch (error) {
        await failed(row.id, row.attempts + 1, error)
      }
    } finally {
      running.delete(id)
    }
  }

  async function failed(id: number, attempts: number, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error)
    const permanent = error instanceof EngineError && PERMANENT.has(error.code)
    const at = clock.now()
    if (permanent || attempts >= deps.attempts) {
      logger.warn({ err: error, media: id, attempts }, 'received media could not be downloaded')
      raws.delete(id)
      await repo.updateMedia(db, id, {
        status: 'failed',
        attempts,
        next_attempt_at: null,
        error: `Download failed after ${attempts} attempt(s): ${reason}`,
        raw: null,
        updated_at: at.toISOString(),
      })
      return
    }
    const delay = deps.retryBaseMs * 4 ** (attempts - 1)
    await repo.updateMedia(db, id, {
      attempts,
      next_attempt_at: new Date(at.getTime() + delay).toISOString(),
      error: reason,
      updated_at: at.toISOString(),
    })
    const timer = setTimeout(() => {
      timers.delete(timer)
      void download(id).catch((e: unknown) => logger.error({ err: e, media: id }, 'media download failed'))
    }, delay)
    timer.unref()
    timers.add(timer)
  }

  return {
    /** A message event from an engine of this process; the download runs in the background. */
    onMessage(instanceId: number, event: MessageEvent): void {
      void arrived(instanceId, event).catch((error: unknown) =>
        logger.error(
          { err: error, instance: instanceId, message: event.id },
          'storing received media failed',
        ),
      )
    },

    /** Downloads that are due again: those whose timer was lost with a restart, or that another process left. */
    async retryDue(): Promise<void> {
      for (const row of await repo.dueDownloads(db, nowIso(), 100)) {
        if (row.instance_id !== null && deps.engineOf(row.instance_id)) await download(row.id)
      }
    },

    stop(): void {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
  }
}
