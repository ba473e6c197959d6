import type { Kysely } from 'kysely'
import { parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { MediaInfo } from '../engine/events.js'
import type { AcceptedSend, ReachedType, SandboxRecordStore } from '../engine/sandbox/index.js'
import type { Clock } from '../lib/clock.js'

/**
 * Longer than a queued message may wait (MESSAGE_EXPIRY_HOURS allows 30 days): any resend of an
 * id falls inside it, and older records go, so that a long-running sandbox does not grow forever.
 */
const RETENTION_DAYS = 31

/**
 * The sandbox network's record in the `sandbox_records` table. `add` resolves once the row is
 * committed, so that a message the server accepted stays accepted through a crash.
 */
export function createSandboxRecordStore(
  db: Kysely<DB>,
  clock: Clock,
  options: { pruneEvery?: number } = {},
): SandboxRecordStore {
  const pruneEvery = options.pruneEvery ?? 1_000
  let added = 0

  async function prune(): Promise<void> {
    const before = new Date(clock.now().getTime() - RETENTION_DAYS * 86_400_000).toISOString()
    await db.deleteFrom('sandbox_records').where('accepted_at', '<', before).execute()
  }

  return {
    async find(from, id) {
      const row = await db
        .selectFrom('sandbox_records')
        .selectAll()
        .where('sender', '=', from)
        .where('message_id', '=', id)
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst()
      if (!row) return undefined
      const send: AcceptedSend = {
        instanceId: row.instance_id,
        from: row.sender,
        to: row.chat_jid,
        id: row.message_id,
        type: row.type as ReachedType,
        at: Date.parse(row.accepted_at),
      }
      if (row.text !== null) send.text = row.text
      if (row.caption !== null) send.caption = row.caption
      const media = parseJson<MediaInfo | null>(row.media, null)
      if (media) send.media = media
      if (row.target_id !== null) send.targetId = row.target_id
      if (row.emoji !== null) send.emoji = row.emoji
      return send
    },

    async add(send) {
      await db
        .insertInto('sandbox_records')
        .values({
          instance_id: send.instanceId,
          sender: send.from,
          chat_jid: send.to,
          message_id: send.id,
          type: send.type,
          text: send.text ?? null,
          caption: send.caption ?? null,
          media: send.media ? toJson(send.media) : null,
          target_id: send.targetId ?? null,
          emoji: send.emoji ?? null,
          accepted_at: new Date(send.at).toISOString(),
        })
        .execute()
      if (++added % pruneEvery === 0) await prune()
    },
  }
}
