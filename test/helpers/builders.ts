import type { Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.js'
import { createInstanceTokens } from '../../src/instances/tokens.js'
import { type Clock, systemClock } from '../../src/lib/clock.js'
import { newUuid } from '../../src/lib/ids.js'

/** Inserts an instance row for a tenant, straight into the database; answers its id. */
export async function createInstance(
  db: Kysely<DB>,
  tenantId: number,
  overrides: Partial<{ name: string; engine: 'baileys' | 'sandbox'; status: string }> = {},
  clock: Clock = systemClock,
): Promise<number> {
  const at = clock.now().toISOString()
  const { id } = await db
    .insertInto('instances')
    .values({
      uuid: newUuid(),
      tenant_id: tenantId,
      name: overrides.name ?? 'Test instance',
      engine: overrides.engine ?? 'sandbox',
      status: overrides.status ?? 'pending',
      phone_number: null,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

/** A new instance of the tenant and an `sk_` token bound to it, made by the real token service. */
export async function createInstanceToken(
  db: Kysely<DB>,
  tenantId: number,
  options: { instanceId?: number; name?: string; clock?: Clock } = {},
): Promise<{ instanceId: number; tokenId: number; token: string }> {
  const clock = options.clock ?? systemClock
  const instanceId = options.instanceId ?? (await createInstance(db, tenantId, {}, clock))
  const created = await createInstanceTokens({ db, clock }).create(
    tenantId,
    instanceId,
    options.name ?? 'Test token',
  )
  return { instanceId, tokenId: created.id, token: created.token }
}

/** Inserts a tenant row straight into the database; answers its id. */
export async function createTenant(
  db: Kysely<DB>,
  name = 'Test tenant',
  clock: Clock = systemClock,
): Promise<number> {
  const at = clock.now().toISOString()
  const { id } = await db
    .insertInto('tenants')
    .values({ uuid: newUuid(), name, created_at: at, updated_at: at })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}
