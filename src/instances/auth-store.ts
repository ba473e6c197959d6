import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthKeyEntry, AuthStateStore } from '../engine/types.js'
import type { Clock } from '../lib/clock.js'

/**
 * An instance's WhatsApp session in the database: one creds row plus key rows. `setKeys`
 * writes every entry in one transaction and resolves only after it committed, so that a crash
 * can't lose a Signal key the engine already used.
 */
export function createDbAuthStore(db: Kysely<DB>, clock: Clock, instanceId: number): AuthStateStore {
  return {
    async loadCreds() {
      const row = await db
        .selectFrom('instance_auth_creds')
        .select('creds')
        .where('instance_id', '=', instanceId)
        .executeTakeFirst()
      return row?.creds ?? null
    },

    async saveCreds(creds) {
      const updatedAt = clock.now().toISOString()
      await db
        .insertInto('instance_auth_creds')
        .values({ instance_id: instanceId, creds, updated_at: updatedAt })
        .onConflict((oc) => oc.column('instance_id').doUpdateSet({ creds, updated_at: updatedAt }))
        .execute()
    },

    async getKeys(type, ids) {
      const out: Record<string, string> = {}
      // Chunks keep the statement under the databases' parameter limits.
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom('instance_auth_keys')
          .select(['key_id', 'value'])
          .where('instance_id', '=', instanceId)
          .where('type', '=', type)
          .where('key_id', 'in', ids.slice(i, i + 500))
          .execute()
        for (const row of rows) out[row.key_id] = row.value
      }
      return out
    },

    async setKeys(entries: AuthKeyEntry[]) {
      if (entries.length === 0) return
      await db.transaction().execute(async (trx) => {
        for (const entry of entries) {
          if (entry.value === null) {
            await trx
              .deleteFrom('instance_auth_keys')
              .where('instance_id', '=', instanceId)
              .where('type', '=', entry.type)
              .where('key_id', '=', entry.id)
              .execute()
          } else {
            await trx
              .insertInto('instance_auth_keys')
              .values({ instance_id: instanceId, type: entry.type, key_id: entry.id, value: entry.value })
              .onConflict((oc) =>
                oc.columns(['instance_id', 'type', 'key_id']).doUpdateSet({ value: entry.value! }),
              )
              .execute()
          }
        }
      })
    },

    async clear() {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('instance_auth_keys').where('instance_id', '=', instanceId).execute()
        await trx.deleteFrom('instance_auth_creds').where('instance_id', '=', instanceId).execute()
      })
    },
  }
}
