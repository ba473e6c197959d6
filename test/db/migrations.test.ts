import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateToLatest, migrateToNothing } from '../../src/db/migrate.js'
import { migrationProvider } from '../../src/db/migrations/index.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'

async function tableNames(testDb: TestDatabase): Promise<string[]> {
  const tables = await testDb.database.db.introspection.getTables()
  return tables.map((t) => t.name).sort()
}

describe(`migrations on ${TEST_DB}`, () => {
  let testDb: TestDatabase
  beforeAll(async () => {
    testDb = await createTestDatabase()
  })
  afterAll(() => testDb.dispose())

  it('go down to nothing and up again to the same schema', async () => {
    const before = await tableNames(testDb)
    expect(before).toContain('users')
    const all = Object.keys(await migrationProvider.getMigrations())
    const reverted = await migrateToNothing(testDb.database.db)
    expect(reverted).toEqual([...all].reverse())
    expect((await tableNames(testDb)).filter((t) => !t.startsWith('kysely_'))).toEqual([])
    expect(await migrateToLatest(testDb.database.db)).toEqual(all)
    expect(await tableNames(testDb)).toEqual(before)
    expect(await migrateToLatest(testDb.database.db)).toEqual([])
  })

  it('stores booleans, timestamps and counts so that both databases read them alike', async () => {
    const db = testDb.database.db
    const at = '2026-01-15T10:00:00.000Z'
    const tenant = await db
      .insertInto('tenants')
      .values({ uuid: '0190b0b0-0000-7000-8000-000000000001', name: 'T', created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db
      .insertInto('users')
      .values({
        uuid: '0190b0b0-0000-7000-8000-000000000002',
        tenant_id: tenant.id,
        name: 'U',
        email: 'u@example.com',
        password_hash: 'x',
        role: 'admin',
        email_verified_at: null,
        two_factor_secret: null,
        two_factor_enabled: true,
        two_factor_last_step: null,
        two_factor_recovery_codes: null,
        created_at: at,
        updated_at: at,
      })
      .execute()
    const user = await db
      .selectFrom('users')
      .select(['two_factor_enabled', 'created_at'])
      .where('two_factor_enabled', '=', true)
      .executeTakeFirstOrThrow()
    expect(Boolean(user.two_factor_enabled)).toBe(true)
    expect(user.created_at).toBe(at)
    const { count } = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow()
    expect(Number(count)).toBe(1)
    const { rows } = await sql<{ n: number }>`select count(*) as n from users`.execute(db)
    expect(Number(rows[0]!.n)).toBe(1)
  })
})
