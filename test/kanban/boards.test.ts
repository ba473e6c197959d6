import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { type Api, apiFor, expectDensePositions, expectStatus } from './support.js'

describe('kanban boards and columns', () => {
  let app: TestApp
  let api: Api

  beforeAll(async () => {
    app = await startTestApp()
    api = apiFor(app, (await app.register()).token)
  })
  afterAll(() => app.close())

  const names = (columns: { name: string }[]) => columns.map((c) => c.name)

  it('creates a board with the default pipeline, shown with the uuid as id', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Sales', description: 'Inbound' }),
      201,
    )
    expect(board).toMatchObject({ id: board.uuid, name: 'Sales', description: 'Inbound', currency: 'USD' })
    expect(Number.isInteger(board.numeric_id)).toBe(true)
    expect(names(board.columns)).toEqual(['New', 'Contacted', 'Qualified', 'Proposal', 'Negotiation'])
    expect(board.columns.map((c: any) => c.position)).toEqual([0, 1, 2, 3, 4])
    expect(board.columns[0]).toMatchObject({
      id: board.columns[0].uuid,
      board_id: board.numeric_id,
      leads_count: 0,
    })
  })

  it('creates a board with the given columns and currency; reads, renames and lists boards', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', {
        name: 'Clinic',
        currency: 'brl',
        columns: ['Booked', { name: 'Seen', color: '#00AA00' }],
      }),
      201,
    )
    expect(board.currency).toBe('BRL')
    expect(board.columns.map((c: any) => [c.name, c.color])).toEqual([
      ['Booked', null],
      ['Seen', '#00AA00'],
    ])
    const byId = expectStatus(await api('GET', `/kanban/boards/${board.numeric_id}`), 200)
    expect(byId.uuid).toBe(board.uuid)
    expect(byId.stats.total_leads).toBe(0)
    const renamed = expectStatus(
      await api('PUT', `/kanban/boards/${board.uuid}`, {
        name: 'Clinic 2',
        description: null,
        currency: 'EUR',
      }),
      200,
    )
    expect(renamed).toMatchObject({ name: 'Clinic 2', description: null, currency: 'EUR' })
    const list = await api('GET', '/kanban/boards?per_page=1&page=2')
    expect(expectStatus(list, 200).map((b: any) => b.name)).toEqual(['Clinic 2'])
    expect(list.body.meta.pagination).toMatchObject({ total: 2, per_page: 1, current_page: 2, last_page: 2 })
  })

  it('validates boards and columns', async () => {
    expect((await api('POST', '/kanban/boards', {})).status).toBe(422)
    expect((await api('POST', '/kanban/boards', { name: 'X', currency: 'DOLLARS' })).status).toBe(422)
    const board = expectStatus(await api('POST', '/kanban/boards', { name: 'V', columns: [] }), 201)
    expect(board.columns).toEqual([])
    expect(
      (await api('POST', `/kanban/boards/${board.uuid}/columns`, { name: 'A', color: 'red' })).status,
    ).toBe(422)
    expect((await api('GET', '/kanban/boards/not-a-board')).status).toBe(404)
    expect((await api('GET', '/kanban/boards/999999')).status).toBe(404)
  })

  it('adds, moves, renames and reorders columns with positions 0..n-1', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Order', columns: ['A', 'B', 'C'] }),
      201,
    )
    const added = expectStatus(
      await api('POST', `/kanban/boards/${board.uuid}/columns`, { name: 'Start', position: 0 }),
      201,
    )
    expect(added).toMatchObject({ name: 'Start', position: 0, board_uuid: board.uuid })
    const end = expectStatus(await api('POST', `/kanban/boards/${board.uuid}/columns`, { name: 'End' }), 201)
    expect(end.position).toBe(4)
    let columns = expectStatus(await api('GET', `/kanban/boards/${board.uuid}/columns`), 200)
    expect(names(columns)).toEqual(['Start', 'A', 'B', 'C', 'End'])

    const moved = expectStatus(
      await api('PUT', `/kanban/columns/${end.uuid}`, { name: 'Done', color: '#123456', position: 1 }),
      200,
    )
    expect(moved).toMatchObject({ name: 'Done', color: '#123456', position: 1 })
    columns = expectStatus(await api('GET', `/kanban/boards/${board.uuid}/columns`), 200)
    expect(names(columns)).toEqual(['Start', 'Done', 'A', 'B', 'C'])
    expect(columns.map((c: any) => c.position)).toEqual([0, 1, 2, 3, 4])

    const order = [...columns].reverse().map((c: any) => c.uuid)
    order[0] = columns[4].numeric_id // ids work as well as uuids
    const reordered = expectStatus(
      await api('POST', `/kanban/boards/${board.uuid}/columns/reorder`, { column_ids: order.map(String) }),
      200,
    )
    expect(names(reordered)).toEqual(['C', 'B', 'A', 'Done', 'Start'])
    expect(reordered.map((c: any) => c.position)).toEqual([0, 1, 2, 3, 4])

    const partial = await api('POST', `/kanban/boards/${board.uuid}/columns/reorder`, {
      column_ids: order.slice(1).map(String),
    })
    expect(partial.status).toBe(422)
    const twice = await api('POST', `/kanban/boards/${board.uuid}/columns/reorder`, {
      column_ids: [order[1], ...order.slice(1)].map(String),
    })
    expect(twice.status).toBe(422)
    const other = expectStatus(await api('POST', '/kanban/boards', { name: 'Other', columns: ['Z'] }), 201)
    const foreign = await api('POST', `/kanban/boards/${board.uuid}/columns/reorder`, {
      column_ids: [other.columns[0].uuid, ...order.slice(1)].map(String),
    })
    expect(foreign.status).toBe(422)
  })

  it('refuses to delete a column that holds leads unless its leads get a target column', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Del', columns: ['A', 'B', 'C'] }),
      201,
    )
    const [a, b, c] = board.columns
    const lead = async (column: any, title: string) =>
      expectStatus(await api('POST', '/kanban/leads', { column_id: column.uuid, title }), 201)
    await lead(a, 'a1')
    await lead(a, 'a2')
    const b1 = await lead(b, 'b1')

    const refused = await api('DELETE', `/kanban/columns/${a.uuid}`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.details.leads_count).toBe(2)
    const otherBoard = expectStatus(await api('POST', '/kanban/boards', { name: 'Else' }), 201)
    const wrongTarget = await api(
      'DELETE',
      `/kanban/columns/${a.uuid}?target_column_id=${otherBoard.columns[0].uuid}`,
    )
    expect(wrongTarget.status).toBe(422)

    expect((await api('DELETE', `/kanban/columns/${a.uuid}?target_column_id=${b.uuid}`)).status).toBe(200)
    const columns = expectStatus(await api('GET', `/kanban/boards/${board.uuid}/columns`), 200)
    expect(columns.map((col: any) => [col.name, col.position, col.leads_count])).toEqual([
      ['B', 0, 3],
      ['C', 1, 0],
    ])
    const leads = await expectDensePositions(api, board.uuid)
    expect(leads.map((l: any) => [l.title, l.column_name, l.position])).toEqual([
      ['b1', 'B', 0],
      ['a1', 'B', 1],
      ['a2', 'B', 2],
    ])
    const moved = expectStatus(await api('GET', `/kanban/leads/${leads[1].uuid}/activities`), 200)
    expect(moved[0]).toMatchObject({ type: 'moved', data: { from_column: 'A', to_column: 'B' } })

    expect((await api('DELETE', `/kanban/columns/${c.uuid}`)).status).toBe(200)
    expect((await api('DELETE', `/kanban/columns/${c.uuid}`)).status).toBe(404)
    expect(expectStatus(await api('GET', `/kanban/leads/${b1.uuid}`), 200).column_name).toBe('B')
  })

  it('shows leads and value per column, won, lost and conversion in the board stats', async () => {
    const board = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Stats', columns: ['New', 'Deal'] }),
      201,
    )
    const [first, second] = board.columns
    const make = async (column: any, title: string, value: number) =>
      expectStatus(await api('POST', '/kanban/leads', { column_id: column.uuid, title, value }), 201)
    await make(first, 'open 1', 100.5)
    const w = await make(first, 'won', 1000)
    await make(second, 'open 2', 250)
    const l = await make(second, 'lost', 40)
    expectStatus(await api('POST', `/kanban/leads/${w.uuid}/won`), 200)
    expectStatus(await api('POST', `/kanban/leads/${l.uuid}/lost`, { reason: 'Too expensive' }), 200)

    const { stats } = expectStatus(await api('GET', `/kanban/boards/${board.uuid}`), 200)
    expect(stats).toMatchObject({
      total_leads: 4,
      open_leads: 2,
      won_leads: 1,
      lost_leads: 1,
      total_value: 1390.5,
      open_value: 350.5,
      won_value: 1000,
      lost_value: 40,
      conversion_rate: 25,
      win_rate: 50,
    })
    expect(stats.columns).toEqual([
      {
        column_id: first.numeric_id,
        column_uuid: first.uuid,
        name: 'New',
        position: 0,
        leads: 2,
        value: 1100.5,
        open_leads: 1,
        open_value: 100.5,
      },
      {
        column_id: second.numeric_id,
        column_uuid: second.uuid,
        name: 'Deal',
        position: 1,
        leads: 2,
        value: 290,
        open_leads: 1,
        open_value: 250,
      },
    ])
  })

  it('deletes a board with its columns and leads', async () => {
    const board = expectStatus(await api('POST', '/kanban/boards', { name: 'Gone' }), 201)
    const lead = expectStatus(await api('POST', '/kanban/leads', { board_id: board.uuid, title: 'x' }), 201)
    expect((await api('DELETE', `/kanban/boards/${board.uuid}`)).status).toBe(200)
    expect((await api('GET', `/kanban/boards/${board.uuid}`)).status).toBe(404)
    expect((await api('GET', `/kanban/leads/${lead.uuid}`)).status).toBe(404)
    expect((await api('GET', `/kanban/columns/${board.columns[0].uuid}`)).status).toBe(404)
    expect((await api('PUT', `/kanban/columns/${board.columns[0].uuid}`, { name: 'x' })).status).toBe(404)
  })
})
