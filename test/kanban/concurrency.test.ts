import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { type Api, apiFor, expectDensePositions, expectStatus } from './support.js'

describe(`kanban positions under concurrent requests (${TEST_DB})`, () => {
  let app: TestApp
  let api: Api

  beforeAll(async () => {
    app = await startTestApp()
    api = apiFor(app, (await app.register()).token)
  })
  afterAll(() => app.close())

  /** A fixed pseudo-random sequence, so that a failure can be replayed. */
  function random(seed: number) {
    let state = seed
    return (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31
      return state % n
    }
  }

  it('creates leads in parallel into one column at dense positions', async () => {
    const board = expectStatus(await api('POST', '/kanban/boards', { name: 'Rush', columns: ['In'] }), 201)
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        api('POST', '/kanban/leads', {
          column_id: board.columns[0].uuid,
          title: `lead ${i}`,
          ...(i % 3 === 0 ? { position: 0 } : {}),
        }),
      ),
    )
    expect(created.map((r) => r.status)).toEqual(created.map(() => 201))
    const leads = await expectDensePositions(api, board.uuid)
    expect(leads).toHaveLength(25)
  })

  it('keeps every column at 0..n-1 without duplicates under many parallel moves', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Race', columns: ['A', 'B', 'C'] }),
      201,
    )
    const columns = board.columns.map((c: any) => c.uuid)
    const leads: string[] = []
    for (let i = 0; i < 12; i++) {
      const lead = expectStatus(
        await api('POST', '/kanban/leads', { column_id: columns[i % 3], title: `m${i}` }),
        201,
      )
      leads.push(lead.uuid)
    }
    const pick = random(42)
    for (let round = 0; round < 3; round++) {
      const moves = await Promise.all(
        Array.from({ length: 30 }, () =>
          api('POST', `/kanban/leads/${leads[pick(leads.length)]}/move`, {
            column_id: columns[pick(3)],
            ...(pick(2) === 0 ? { position: pick(6) } : {}),
          }),
        ),
      )
      expect(moves.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([])
      const after = await expectDensePositions(api, board.uuid)
      expect(after.map((l: any) => l.uuid).sort()).toEqual([...leads].sort())
    }
    // The stats agree with what the columns hold.
    const { stats } = expectStatus(await api('GET', `/kanban/boards/${board.uuid}`), 200)
    expect(stats.columns.reduce((n: number, c: any) => n + c.leads, 0)).toBe(12)
  })

  it('keeps positions dense while leads are deleted and moved at the same time', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Churn', columns: ['A', 'B'] }),
      201,
    )
    const [a, b] = board.columns.map((c: any) => c.uuid)
    const leads: string[] = []
    for (let i = 0; i < 10; i++) {
      leads.push(expectStatus(await api('POST', '/kanban/leads', { column_id: a, title: `d${i}` }), 201).uuid)
    }
    const results = await Promise.all([
      ...leads.slice(0, 5).map((uuid) => api('DELETE', `/kanban/leads/${uuid}`)),
      ...leads
        .slice(5)
        .map((uuid, i) =>
          api('POST', `/kanban/leads/${uuid}/move`, { column_id: i % 2 ? a : b, position: 0 }),
        ),
    ])
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200))
    expect(await expectDensePositions(api, board.uuid)).toHaveLength(5)
  })

  it('lets only one of two simultaneous "won" requests through', async () => {
    const lead = expectStatus(await api('POST', '/kanban/leads', { title: 'Twice' }), 201)
    const both = await Promise.all([
      api('POST', `/kanban/leads/${lead.uuid}/won`),
      api('POST', `/kanban/leads/${lead.uuid}/won`),
    ])
    expect(both.map((r) => r.status).sort()).toEqual([200, 409])
    const wins = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities?type=won`), 200)
    expect(wins).toHaveLength(1)
  })
})
