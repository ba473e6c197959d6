import type { Insertable, Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { Media, MediaTable } from './table.js'

type Db = Kysely<DB>

export async function insertMedia(db: Db, row: Insertable<MediaTable>): Promise<number> {
  const { id } = await db.insertInto('media').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/** A file just written to the store, as a stored media row. */
export async function insertStoredFile(
  db: Db,
  media: {
    uuid: string
    tenantId: number
    instanceId: number | null
    origin: 'upload' | 'url'
    file: { key: string; kind: string; mime: string; size: number; sha256: string; fileName: string }
    expiresAt: string | null
    at: string
  },
): Promise<number> {
  return insertMedia(db, {
    uuid: media.uuid,
    tenant_id: media.tenantId,
    instance_id: media.instanceId,
    message_id: null,
    origin: media.origin,
    kind: media.file.kind,
    mime_type: media.file.mime,
    size: media.file.size,
    filename: media.file.fileName,
    storage_key: media.file.key,
    sha256: media.file.sha256,
    status: 'stored',
    attempts: 0,
    next_attempt_at: null,
    error: null,
    raw: null,
    expires_at: media.expiresAt,
    created_at: media.at,
    updated_at: media.at,
  })
}

export async function findMediaById(db: Db, id: number): Promise<Media | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A tenant's upload by id or uuid (media owned by messages are reached through their message). */
export async function findUpload(db: Db, tenantId: number, ref: EntityRef): Promise<Media | undefined> {
  const query = db
    .selectFrom('media')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('origin', '=', 'upload')
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function findUploadByUuid(db: Db, uuid: string): Promise<Media | undefined> {
  return db
    .selectFrom('media')
    .selectAll()
    .where('uuid', '=', uuid)
    .where('origin', '=', 'upload')
    .executeTakeFirst()
}

export async function updateMedia(db: Db, id: number, patch: Updateable<MediaTable>): Promise<void> {
  await db.updateTable('media').set(patch).where('id', '=', id).execute()
}

export async function deleteMedia(db: Db, id: number): Promise<void> {
  await db.deleteFrom('media').where('id', '=', id).execute()
}

/** Queued messages that will still send this file. */
export async function pendingSends(db: Db, mediaId: number): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('media_id', '=', mediaId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

/** Messages that showed a deleted file no longer point at it (their media endpoint answers 404). */
export async function detachMessages(db: Db, mediaId: number, at: string): Promise<void> {
  await db
    .updateTable('messages')
    .set({ media_path: null, updated_at: at })
    .where('media_id', '=', mediaId)
    .where('media_path', 'is not', null)
    .execute()
}

/**
 * What the sweep removes: uploads past their expiry that no queued message still needs, and files
 * whose message is gone (deleted with its instance, or never queued after a crash).
 */
export async function sweepable(
  db: Db,
  now: string,
  orphanedBefore: string,
  limit: number,
): Promise<Media[]> {
  return db
    .selectFrom('media')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([
          eb('origin', '=', 'upload'),
          eb('expires_at', '<=', now),
          eb.not(
            eb.exists(
              eb
                .selectFrom('messages')
                .select('messages.id')
                .whereRef('messages.media_id', '=', 'media.id')
                .where('messages.status', '=', 'pending'),
            ),
          ),
        ]),
        eb.and([
          eb('origin', '!=', 'upload'),
          eb('message_id', 'is', null),
          eb('created_at', '<', orphanedBefore),
        ]),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** Received files whose download is due again (after a failure, or left behind by a restart). */
export async function dueDownloads(db: Db, now: string, limit: number): Promise<Media[]> {
  return db
    .selectFrom('media')
    .selectAll()
    .where('status', '=', 'pending')
    .where('origin', '=', 'received')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute()
}

/** The stored message an engine event describes, if its media is not stored yet. */
export async function messageAwaitingMedia(db: Db, instanceId: number, whatsappId: string) {
  return db
    .selectFrom('messages')
    .select(['id', 'tenant_id', 'media_path'])
    .where('instance_id', '=', instanceId)
    .where('whatsapp_message_id', '=', whatsappId)
    .executeTakeFirst()
}

export async function messageHasMedia(db: Db, messageId: number): Promise<boolean> {
  return !!(await db.selectFrom('media').select('id').where('message_id', '=', messageId).executeTakeFirst())
}

/** What a download needs to name the message to its engine. */
export async function messageRef(db: Db, messageId: number) {
  return db
    .selectFrom('messages')
    .select(['whatsapp_message_id', 'chat_jid'])
    .where('id', '=', messageId)
    .executeTakeFirst()
}

/** Points a message at its stored file. */
export async function attachToMessage(
  db: Db,
  messageId: number,
  media: { id: number; key: string; size: number; mime: string },
  at: string,
): Promise<void> {
  await db
    .updateTable('messages')
    .set((eb) => ({
      media_id: media.id,
      media_path: media.key,
      media_size: media.size,
      media_mime: eb.fn.coalesce('media_mime', eb.val(media.mime)),
      updated_at: at,
    }))
    .where('id', '=', messageId)
    .execute()
}
