import type { Insertable, Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { InstancesTable } from './table.js'

type Db = Kysely<DB>

export const INSTANCE_COLUMNS = [
  'id',
  'uuid',
  'tenant_id',
  'name',
  'engine',
  'status',
  'phone_number',
  'daily_limit',
  'send_delay_min',
  'send_delay_max',
  'settings',
  'profile_name',
  'platform',
  'jid',
  'last_error',
  'qr_code_text',
  'qr_generated_at',
  'qr_expires_at',
  'connected_at',
  'disconnected_at',
  'last_heartbeat_at',
  'last_activity_at',
  'desired_connected',
  'owner_id',
  'lease_expires_at',
  'created_at',
  'updated_at',
] as const

export async function insertInstance(db: Db, row: Insertable<InstancesTable>): Promise<number> {
  const { id } = await db.insertInto('instances').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/** The tenant's instance with this id or uuid. */
export function instanceQuery(db: Db, tenantId: number, by: 'id' | 'uuid', value: number | string) {
  return db
    .selectFrom('instances')
    .select(INSTANCE_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where(by, '=', value as never)
}

export async function findInstanceById(db: Db, id: number) {
  return db.selectFrom('instances').select(INSTANCE_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function listInstances(
  db: Db,
  tenantId: number,
  filter: { status?: string | undefined; onlyId?: number | null },
  page: { limit: number; offset: number },
) {
  let query = db.selectFrom('instances').where('tenant_id', '=', tenantId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.onlyId) query = query.where('id', '=', filter.onlyId)
  const [rows, total] = await Promise.all([
    query.select(INSTANCE_COLUMNS).orderBy('id').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(total.count) }
}

export async function updateInstance(db: Db, id: number, patch: Updateable<InstancesTable>): Promise<void> {
  await db.updateTable('instances').set(patch).where('id', '=', id).execute()
}

export async function deleteInstance(db: Db, id: number): Promise<void> {
  await db.deleteFrom('instances').where('id', '=', id).execute()
}

// ── leases ──────────────────────────────────────────────────────────────────

/** Takes the lease if it is free, lapsed or already ours; answers whether we hold it now. */
export async function claimLease(
  db: Db,
  id: number,
  owner: string,
  now: string,
  until: string,
): Promise<boolean> {
  const result = await db
    .updateTable('instances')
    .set({ owner_id: owner, lease_expires_at: until })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('owner_id', 'is', null), eb('owner_id', '=', owner), eb('lease_expires_at', '<', now)]),
    )
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Extends every lease we hold; answers the instances we still hold. */
export async function renewLeases(db: Db, owner: string, until: string): Promise<number[]> {
  await db.updateTable('instances').set({ lease_expires_at: until }).where('owner_id', '=', owner).execute()
  const rows = await db.selectFrom('instances').select('id').where('owner_id', '=', owner).execute()
  return rows.map((r) => r.id)
}

export async function releaseLease(db: Db, id: number, owner: string): Promise<void> {
  await db
    .updateTable('instances')
    .set({ owner_id: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('owner_id', '=', owner)
    .execute()
}

/** Instances that should be connected and that nobody (alive) holds. */
export async function claimableInstances(db: Db, now: string, limit: number) {
  return db
    .selectFrom('instances')
    .select(['id'])
    .where('desired_connected', '=', true)
    .where((eb) => eb.or([eb('owner_id', 'is', null), eb('lease_expires_at', '<', now)]))
    .orderBy('id')
    .limit(limit)
    .execute()
}

export async function countDesired(db: Db): Promise<number> {
  const row = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('desired_connected', '=', true)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function heartbeatNode(db: Db, id: string, address: string | null, now: string): Promise<void> {
  await db
    .insertInto('cluster_nodes')
    .values({ id, address, started_at: now, heartbeat_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, address }))
    .execute()
}

export async function liveNodes(db: Db, since: string) {
  return db.selectFrom('cluster_nodes').select(['id', 'address']).where('heartbeat_at', '>=', since).execute()
}

export async function removeNode(db: Db, id: string): Promise<void> {
  await db.deleteFrom('cluster_nodes').where('id', '=', id).execute()
}

/** The process whose lease on the instance has not lapsed, with the address it gave; none if nobody's has. */
export async function leaseHolder(db: Db, id: number, now: string) {
  return db
    .selectFrom('instances')
    .leftJoin('cluster_nodes', 'cluster_nodes.id', 'instances.owner_id')
    .select(['instances.owner_id', 'cluster_nodes.address'])
    .where('instances.id', '=', id)
    .where('instances.owner_id', 'is not', null)
    .where('instances.lease_expires_at', '>=', now)
    .executeTakeFirst()
}

export async function nodeAddress(db: Db, id: string): Promise<string | null> {
  const row = await db.selectFrom('cluster_nodes').select('address').where('id', '=', id).executeTakeFirst()
  return row?.address ?? null
}

// ── LID ↔ phone ─────────────────────────────────────────────────────────────

export async function saveLidMapping(db: Db, instanceId: number, lid: string, phone: string, at: string) {
  await db
    .insertInto('lid_mappings')
    .values({ instance_id: instanceId, lid, phone, updated_at: at })
    .onConflict((oc) => oc.columns(['instance_id', 'lid']).doUpdateSet({ phone, updated_at: at }))
    .execute()
}

export async function phoneForLid(db: Db, instanceId: number, lid: string): Promise<string | null> {
  const row = await db
    .selectFrom('lid_mappings')
    .select('phone')
    .where('instance_id', '=', instanceId)
    .where('lid', '=', lid)
    .executeTakeFirst()
  return row?.phone ?? null
}
