import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { DB } from '../db/schema.js'
import { EngineError } from '../engine/errors.js'
import type { MediaKind } from '../engine/types.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import { cleanFileName, KIND_LIMITS, kindOf } from './formats.js'
import { type Ingested, ingest, kindMismatch } from './ingest.js'
import { presentMedia } from './present.js'
import * as repo from './repository.js'
import type { UrlSigner } from './signing.js'
import { MediaMissingError, type MediaStore, readAll } from './store.js'
import type { Media } from './table.js'
import type { MediaOpener } from './url-fetch.js'

/** One part of a multipart upload, as the HTTP layer hands it over. */
export type UploadPart =
  | { type: 'field'; fieldname: string; value: unknown }
  | {
      type: 'file'
      fieldname: string
      filename: string | undefined
      file: AsyncIterable<Uint8Array> & Readable
    }

/** A file ready to go out with a message (an upload, or a URL fetched for it). */
export interface Attachment {
  mediaId: number
  key: string
  kind: MediaKind
  mime: string
  size: number
  fileName: string | null
  sourceUrl: string | null
  /** Ties the file to its message, in the transaction that stores the message. */
  claim(trx: Kysely<DB>, messageId: number): Promise<void>
  /** The message was not queued after all: a file fetched for it goes. */
  discard(): Promise<void>
}

export interface AttachInput {
  mediaId?: string | undefined
  url?: { value: string; field: string } | undefined
  kind?: MediaKind | undefined
  fileName?: string | undefined
}

export type MediaService = ReturnType<typeof createMediaService>

/** A file to stream back: its bytes and what to say about them. */
export interface MediaFile {
  stream: Readable
  mime: string
  size: number | null
  fileName: string | null
}

/** Files sent and received: uploads (which expire), files fetched for a send, and the streams to read them. */
export function createMediaService(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  store: MediaStore
  open: MediaOpener
  signer: UrlSigner
  publicUrl: string
  expiryDays: number
  /** A ceiling over every kind's limit (a server may accept less than WhatsApp does). */
  maxBytes: number
}) {
  const { db, clock, store } = deps
  const nowIso = () => clock.now().toISOString()
  const limitOf = (kind: MediaKind) => Math.min(KIND_LIMITS[kind], deps.maxBytes)
  const keyFor = (tenantId: number, uuid: string) =>
    `${tenantId}/${clock.now().toISOString().slice(0, 7)}/${uuid}`

  /** Uploads are the tenant's; an instance-bound caller sees the tenant-wide ones and its instance's. */
  async function findUpload(auth: AuthContext, ref: string): Promise<Media | undefined> {
    const parsed = parseEntityRef(ref.replace(/^media_/, ''))
    const row = parsed ? await repo.findUpload(db, auth.tenantId, parsed) : undefined
    if (!row || (row.expires_at && row.expires_at <= nowIso())) return undefined
    if (auth.instanceId !== null && row.instance_id !== null && row.instance_id !== auth.instanceId)
      return undefined
    return row
  }

  const present = (row: Media) => presentMedia(row, deps.signer, deps.publicUrl)

  async function insertStored(
    auth: AuthContext,
    stored: Ingested,
    origin: 'upload' | 'url',
    fileName: string | null,
    uuid: string,
    instanceId: number | null,
  ): Promise<Media> {
    const now = clock.now()
    const expiresAt =
      origin === 'upload' ? new Date(now.getTime() + deps.expiryDays * 86_400_000).toISOString() : null
    const id = await repo.insertStoredFile(db, {
      uuid,
      tenantId: auth.tenantId,
      instanceId,
      origin,
      file: { ...stored, fileName: fileName ?? `${stored.kind}.${stored.ext}` },
      expiresAt,
      at: now.toISOString(),
    })
    return (await repo.findMediaById(db, id))!
  }

  async function openKey(key: string | null): Promise<Readable | null> {
    if (!key) return null
    try {
      return await store.get(key)
    } catch (error) {
      if (error instanceof MediaMissingError) return null
      throw error
    }
  }

  return {
    /** The largest file accepted of any kind. */
    maxBytes: deps.maxBytes,
    limitOf,
    present,

    /** Stores the multipart `file`; its type comes from its bytes, and `type`, when given, must agree. */
    async upload(auth: AuthContext, parts: AsyncIterable<UploadPart>) {
      const uuid = newUuid()
      const key = keyFor(auth.tenantId, uuid)
      let typeField: string | undefined
      let stored: Ingested | null = null
      let fileName: string | null = null
      try {
        for await (const part of parts) {
          if (part.type === 'field') {
            if (part.fieldname === 'type') typeField = String(part.value)
            kindOf(typeField)
            continue
          }
          if (part.fieldname !== 'file' || stored) {
            part.file.resume()
            continue
          }
          fileName = cleanFileName(part.filename)
          stored = await ingest(part.file, {
            store,
            key,
            fileName,
            limitOf,
            expected: kindOf(typeField),
            field: 'file',
          })
        }
        if (!stored) throw validationError('file', 'The file field is required (multipart/form-data).')
        // `type` may come after the file in the form: checked again now that it is known.
        const expected = kindOf(typeField)
        if (expected && expected !== stored.kind) {
          throw kindMismatch(stored, expected, 'type')
        }
        return present(await insertStored(auth, stored, 'upload', fileName, uuid, auth.instanceId))
      } catch (error) {
        if (stored) await store.delete(key)
        throw error
      }
    },

    async info(auth: AuthContext, ref: string) {
      const row = await findUpload(auth, ref)
      if (!row) throw notFound('Media')
      return present(row)
    },

    /** Deletes an upload; one that queued messages still need is kept (409) until they are sent. */
    async remove(auth: AuthContext, ref: string) {
      const row = await findUpload(auth, ref)
      if (!row) throw notFound('Media')
      const waiting = await repo.pendingSends(db, row.id)
      if (waiting > 0) {
        throw new AppError(
          'CONFLICT',
          `${waiting} queued message(s) will still send this file; delete it after they are sent.`,
          {
            pending_messages: waiting,
          },
        )
      }
      await forget(row)
    },

    /** The file behind a signed URL; a wrong, expired or deleted link is 404 alike. */
    async signedFile(uuid: string, expires: number, signature: string): Promise<MediaFile> {
      const valid = deps.signer.verify(uuid, expires, signature, clock.now().getTime())
      const row = valid ? await repo.findUploadByUuid(db, uuid) : undefined
      const stream = row?.expires_at && row.expires_at > nowIso() ? await openKey(row.storage_key) : null
      if (!row || !stream) throw notFound('Media')
      return { stream, mime: row.mime_type, size: row.size, fileName: row.filename }
    },

    /** A message's stored file; 404 when it has none or it is not stored yet. */
    async messageFile(message: {
      media_path: string | null
      media_mime: string | null
      media_size: number | null
      media_file_name: string | null
    }): Promise<MediaFile> {
      const stream = await openKey(message.media_path)
      if (!stream) throw notFound('Media')
      return {
        stream,
        mime: message.media_mime ?? 'application/octet-stream',
        size: message.media_size,
        fileName: message.media_file_name,
      }
    },

    /** The bytes to send; a file that is gone fails the send for good. */
    async read(key: string): Promise<Buffer> {
      try {
        return await readAll(store, key)
      } catch (error) {
        if (error instanceof MediaMissingError) {
          throw new EngineError('MEDIA_UNAVAILABLE', 'the media of this message is no longer stored')
        }
        throw error
      }
    },

    /** The file a send-media names: an upload (`media_id`) or a URL fetched now, checked like an upload. */
    async attach(auth: AuthContext, instanceId: number, input: AttachInput): Promise<Attachment> {
      if (input.mediaId !== undefined) {
        const row = await findUpload(auth, input.mediaId)
        if (!row?.storage_key)
          throw validationError('media_id', 'The media_id does not name an uploaded file.')
        if (input.kind && input.kind !== row.kind) {
          throw kindMismatch({ kind: row.kind, mime: row.mime_type }, input.kind, 'media_type')
        }
        return {
          mediaId: row.id,
          key: row.storage_key,
          kind: row.kind as MediaKind,
          mime: row.mime_type,
          size: row.size ?? 0,
          fileName: input.fileName ?? row.filename,
          sourceUrl: null,
          claim: async () => {},
          discard: async () => {},
        }
      }
      if (!input.url) throw validationError('media_url', 'The media_url or media_id field is required.')
      const opened = await deps.open(input.url.value, input.url.field)
      const uuid = newUuid()
      const fileName = cleanFileName(input.fileName ?? opened.fileName)
      const stored = await ingest(opened.body, {
        store,
        key: keyFor(auth.tenantId, uuid),
        fileName,
        limitOf,
        expected: input.kind,
        declaredSize: opened.declaredSize,
        field: input.url.field,
      })
      const row = await insertStored(auth, stored, 'url', fileName, uuid, instanceId)
      return {
        mediaId: row.id,
        key: stored.key,
        kind: stored.kind,
        mime: stored.mime,
        size: stored.size,
        fileName: row.filename,
        sourceUrl: input.url.value,
        claim: async (trx, messageId) =>
          repo.updateMedia(trx, row.id, { message_id: messageId, updated_at: nowIso() }),
        discard: () => forget(row),
      }
    },

    /** Removes expired uploads and orphaned files; answers how many went. */
    async sweep(): Promise<number> {
      const now = clock.now()
      const rows = await repo.sweepable(
        db,
        now.toISOString(),
        new Date(now.getTime() - 3_600_000).toISOString(),
        500,
      )
      for (const row of rows) await forget(row)
      return rows.length
    },
  }

  /** The row first (nothing points at the file any more), then the file. */
  async function forget(row: Media): Promise<void> {
    const at = nowIso()
    await db.transaction().execute(async (trx) => {
      await repo.detachMessages(trx, row.id, at)
      await repo.deleteMedia(trx, row.id)
    })
    if (!row.storage_key) return
    try {
      await store.delete(row.storage_key)
    } catch (error) {
      deps.logger.warn({ err: error, key: row.storage_key }, 'a media file could not be deleted')
    }
  }
}
