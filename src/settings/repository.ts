import type { Insertable, Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { TenantAiSettingsTable } from './table.js'

type Db = Kysely<DB>

export async function findAiSettings(db: Db, tenantId: number) {
  return db
    .selectFrom('tenant_ai_settings')
    .select(['tenant_id', 'base_url', 'api_key', 'model', 'timeout_seconds', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst()
}

/** Inserts or replaces the tenant's provider. */
export async function saveAiSettings(db: Db, row: Insertable<TenantAiSettingsTable>): Promise<void> {
  await db
    .insertInto('tenant_ai_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({
        base_url: row.base_url,
        api_key: row.api_key,
        model: row.model,
        timeout_seconds: row.timeout_seconds ?? 30,
        updated_at: row.updated_at,
      }),
    )
    .execute()
}

export async function deleteAiSettings(db: Db, tenantId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('tenant_ai_settings')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}
