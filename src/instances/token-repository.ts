import type { Insertable, Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { InstanceTokensTable } from './table.js'

type Db = Kysely<DB>

export async function insertInstanceToken(db: Db, row: Insertable<InstanceTokensTable>): Promise<number> {
  const { id } = await db.insertInto('instance_tokens').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findInstanceTokenByHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('instance_tokens')
    .innerJoin('tenants', 'tenants.id', 'instance_tokens.tenant_id')
    .select([
      'instance_tokens.id',
      'instance_tokens.tenant_id',
      'instance_tokens.instance_id',
      'instance_tokens.name',
      'instance_tokens.last_used_at',
      'tenants.status as tenant_status',
    ])
    .where('instance_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export async function touchInstanceToken(db: Db, id: number, at: string): Promise<void> {
  await db.updateTable('instance_tokens').set({ last_used_at: at }).where('id', '=', id).execute()
}

export async function listInstanceTokens(db: Db, tenantId: number, instanceId: number) {
  return db
    .selectFrom('instance_tokens')
    .select(['id', 'uuid', 'name', 'token_hint', 'last_used_at', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('instance_id', '=', instanceId)
    .orderBy('id', 'desc')
    .execute()
}

export async function deleteInstanceToken(db: Db, tenantId: number, instanceId: number, tokenId: number) {
  const result = await db
    .deleteFrom('instance_tokens')
    .where('tenant_id', '=', tenantId)
    .where('instance_id', '=', instanceId)
    .where('id', '=', tokenId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function instanceExistsInTenant(db: Db, instanceId: number, tenantId: number): Promise<boolean> {
  const row = await db
    .selectFrom('instances')
    .select('id')
    .where('id', '=', instanceId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst()
  return row !== undefined
}

export async function findInstanceByRef(db: Db, ref: EntityRef) {
  const query = db.selectFrom('instances').select(['id', 'uuid', 'tenant_id', 'name'])
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}
