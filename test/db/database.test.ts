import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'

describe(`rows read from ${TEST_DB}`, () => {
  let testDb: TestDatabase
  beforeAll(async () => {
    testDb = await createTestDatabase()
    const at = '2026-01-15T10:00:00.000Z'
    await testDb.database.db
      .insertInto('tenants')
      .values(
        ['One', 'Two', 'Three'].map((name, i) => ({
          uuid: `0190b0b0-0000-7000-8000-00000000000${i + 1}`,
          name,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute()
  })
  afterAll(() => testDb.dispose())

  it('are plain objects with the selected columns in their order, read at once or (SQLite) streamed', async () => {
    const query = testDb.database.db
      .selectFrom('tenants')
      .select(['name', 'id', 'uuid'])
      .where('name', '!=', 'Two')
      .orderBy('id')
    const rows = await query.execute()
    expect(rows).toEqual([
      { name: 'One', id: expect.any(Number), uuid: '0190b0b0-0000-7000-8000-000000000001' },
      { name: 'Three', id: expect.any(Number), uuid: '0190b0b0-0000-7000-8000-000000000003' },
    ])
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['name', 'id', 'uuid'])
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
    }
    // Streaming needs a cursor package on PostgreSQL, which the application does not use.
    if (TEST_DB === 'sqlite') {
      const streamed = []
      for await (const row of query.stream()) streamed.push(row)
      expect(streamed).toEqual(rows)
    }
  })

  it('answers the rows of RETURNING and of raw SQL, and nothing for other writes', async () => {
    const db = testDb.database.db
    const updated = await db
      .updateTable('tenants')
      .set({ name: 'Two, renamed' })
      .where('name', '=', 'Two')
      .returning(['name'])
      .execute()
    expect(updated).toEqual([{ name: 'Two, renamed' }])
    const result = await db
      .updateTable('tenants')
      .set({ name: 'Two' })
      .where('name', '=', 'Two, renamed')
      .execute()
    expect(result.map((r) => Number(r.numUpdatedRows))).toEqual([1])
    const { rows } = await sql<{
      answer: number
      text: string | null
    }>`SELECT 42 AS answer, NULL AS text`.execute(db)
    expect(rows).toEqual([{ answer: 42, text: null }])
  })

  it('follow a change of schema: SELECT * answers the columns the table has now', async () => {
    const db = testDb.database.db as unknown as Kysely<Record<string, Record<string, unknown>>>
    await db.schema.createTable('scratch_rows').addColumn('id', 'integer').execute()
    await db.insertInto('scratch_rows').values({ id: 1 }).execute()
    expect(await db.selectFrom('scratch_rows').selectAll().execute()).toEqual([{ id: 1 }])
    await db.schema.alterTable('scratch_rows').addColumn('label', 'text').execute()
    await db.updateTable('scratch_rows').set({ label: 'one' }).execute()
    expect(await db.selectFrom('scratch_rows').selectAll().execute()).toEqual([{ id: 1, label: 'one' }])
    await db.schema.dropTable('scratch_rows').execute()
  })

  it.runIf(TEST_DB === 'sqlite')(
    'keep a column named __proto__ as a column, not as the prototype',
    async () => {
      const { rows } = await sql<Record<string, unknown>>`SELECT 1 AS "__proto__", 2 AS other`.execute(
        testDb.database.db,
      )
      expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype)
      expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toBe(1)
      expect(rows[0]!['other']).toBe(2)
    },
  )
})
